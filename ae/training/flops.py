"""Counting a function's matmul FLOPs from its jaxpr, so a FLOP fraction rests on what the
program computes rather than on a rule of thumb (a backward pass is not always 2 x the forward:
nothing differentiates the input pixels, so the first layer has no input-gradient matmul).

  dot_general(a, b): 2 x (size of the output) x (product of the contracted dimensions) FLOPs
"""

import math
from typing import NamedTuple

import jax
from jax.extend import core


class Dot(NamedTuple):
  lhs: tuple
  rhs: tuple
  dimension_numbers: tuple
  flops: int


def _sub_jaxprs(value):
  if isinstance(value, core.ClosedJaxpr):
    yield value.jaxpr
  elif isinstance(value, core.Jaxpr):
    yield value
  elif isinstance(value, (tuple, list)):
    for v in value:
      yield from _sub_jaxprs(v)


def dot_generals(jaxpr, times: int = 1) -> list:
  """Every dot_general in jaxpr and the jaxprs inside it, as a Dot (flops: of all its calls, a
  scan's body counting once per iteration)."""
  out = []
  for eqn in jaxpr.eqns:
    if eqn.primitive.name == "dot_general":
      (lhs_contract, _), _ = eqn.params["dimension_numbers"]
      lhs = eqn.invars[0].aval.shape
      contracted = math.prod(lhs[d] for d in lhs_contract)
      flops = 2 * math.prod(eqn.outvars[0].aval.shape) * contracted
      out.append(Dot(tuple(lhs), tuple(eqn.invars[1].aval.shape),
                     eqn.params["dimension_numbers"], flops * times))
    inner = times * (eqn.params["length"] if eqn.primitive.name == "scan" else 1)
    for value in eqn.params.values():
      for sub in _sub_jaxprs(value):
        out.extend(dot_generals(sub, inner))
  return out


def matmul_flops(fn, *args) -> int:
  """The matmul FLOPs of one call of fn(*args) (traced, not run)."""
  return sum(d.flops for d in dot_generals(jax.make_jaxpr(fn)(*args).jaxpr))
