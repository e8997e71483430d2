"""Gradients by hand (backprop written out) and the Taylor test that checks any gradient.

Backprop rests on two assumptions: the total loss is a sum of per-example losses,
L = sum_i l_i, and each l_i depends on the parameters only through the network's output. Then with
z_l = a_{l-1} W_l + b_l and a_l = act(z_l) (the last layer linear, z_L = output):

  delta_L = dL/dz_L                       (from the likelihood head, below)
  dL/dW_l = a_{l-1}^T delta_l,  dL/db_l = sum_i delta_l
  delta_{l-1} = (delta_l W_l^T) * act'(z_{l-1})

and the heads give delta_L = mu - y (Gaussian, sigma = 1), sigmoid(z) - y (Bernoulli) and
softmax(z) - onehot(y) (Categorical). Each layer multiplies delta by act'(z): sigmoid' <= 1/4,
so gradients shrink geometrically with depth for sigmoid, while relu' is 1 on active units.
"""

from typing import NamedTuple, Optional, Sequence

import jax
import jax.numpy as jnp
import numpy as np

from ae.foundations import mlp, nll


def loss(params: list, x, y, act: str, head: str) -> jnp.ndarray:
  """Total NLL of the data: the sum of per-example losses."""
  return nll.head_nll(head, y, mlp.mlp_forward(params, x, act)).sum()


def output_delta(head: str, outputs, y) -> jnp.ndarray:
  """dL/d(output) of the summed NLL for each head (no jax.grad involved)."""
  if head == "gaussian":
    return outputs - y
  if head == "bernoulli":
    return jax.nn.sigmoid(outputs) - y
  if head == "categorical":
    return jax.nn.softmax(outputs, axis=-1) - jax.nn.one_hot(y, outputs.shape[-1],
                                                             dtype=outputs.dtype)
  raise ValueError(f"unknown head {head!r}; choose one of {', '.join(nll.HEADS)}.")


def backprop(params: list, x, y, act: str, head: str) -> list:
  """Hand-derived gradient of `loss` with respect to every layer's w and b: the delta recursion."""
  activation = mlp.activation(act)
  zs, inputs = [], [x]
  for i, layer in enumerate(params):           # Forward pass, keeping z_l and a_{l-1}.
    z = inputs[-1] @ layer["w"] + layer["b"]
    zs.append(z)
    if i < len(params) - 1:
      inputs.append(activation.fn(z))
  delta = output_delta(head, zs[-1], y)
  grads = [None] * len(params)
  for i in reversed(range(len(params))):       # Backward pass.
    grads[i] = {"w": inputs[i].T @ delta, "b": delta.sum(axis=0)}
    if i > 0:
      delta = (delta @ params[i]["w"].T) * activation.derivative(zs[i - 1])
  return grads


# ----------------------------------------------------------------------------- one neuron


def neuron_output(w, b, x):
  return jax.nn.sigmoid(w * x + b)


def neuron_loss(kind: str, w, b, x, y):
  """The chapter's one-neuron losses, as NLLs: quadratic 0.5 (a - y)^2, or cross-entropy."""
  z = jnp.reshape(w * x + b, (1, 1))
  y = jnp.reshape(jnp.asarray(y, z.dtype), (1, 1))
  if kind == "mse":   # The Gaussian NLL of y at mean a, sigma = 1, less its constant.
    return nll.gaussian_nll(y, jax.nn.sigmoid(z), 0.0)[0] - 0.5 * nll.LOG_2PI
  if kind == "ce":
    return nll.bernoulli_nll(y, z)[0]
  raise ValueError(f"unknown loss {kind!r}; choose mse or ce.")


def neuron_grad_mse(w, b, x, y):
  """Closed form for 0.5 (a - y)^2: dL/dw = (a - y) sigma'(z) x, dL/db = (a - y) sigma'(z)."""
  a = neuron_output(w, b, x)
  common = (a - y) * a * (1.0 - a)
  return common * x, common


def neuron_grad_ce(w, b, x, y):
  """Closed form for cross-entropy: dL/dw = (a - y) x, dL/db = a - y: no sigma'(z) factor."""
  a = neuron_output(w, b, x)
  return (a - y) * x, a - y


# ----------------------------------------------------------------------------- Taylor test


class TaylorResult(NamedTuple):
  epsilons: np.ndarray      # [K] step sizes eps_i = eps_0 / 2^i
  remainders: tuple         # R0, then R1 (with grad_fn), then R2 (with hvp_fn); each [K]
  rates: tuple              # observed orders log2(R(eps_i) / R(eps_{i+1})); each [K - 1]
  passed: bool              # the last remainder converges at its expected order (1, 2 or 3)


def _tree_vdot(a, b):
  return sum(jnp.vdot(x, y) for x, y in zip(jax.tree.leaves(a), jax.tree.leaves(b)))


def _random_direction(params, seed: int):
  """A random unit-norm direction with the structure and dtypes of params."""
  leaves, treedef = jax.tree.flatten(params)
  keys = jax.random.split(jax.random.PRNGKey(seed), len(leaves))
  v = [jax.random.normal(k, jnp.shape(x), jnp.result_type(x)) for k, x in zip(keys, leaves)]
  norm = jnp.sqrt(sum(jnp.vdot(x, x) for x in v))
  return jax.tree.unflatten(treedef, [x / norm for x in v])


def _observed_rates(r: np.ndarray) -> np.ndarray:
  with np.errstate(divide="ignore", invalid="ignore"):
    return np.log2(r[:-1] / r[1:])


def taylor_test(loss_fn, params, grad_fn=None, hvp_fn=None, *,
                epsilons: Optional[Sequence[float]] = None, seed: int = 0,
                tolerance: float = 0.3, tail: int = 3) -> TaylorResult:
  """Checks grad_fn (and hvp_fn) against loss_fn along a random direction v.

    R0(eps) = |L(p + eps v) - L(p)|                                        ~ eps
    R1(eps) = |L(p + eps v) - L(p) - eps <g, v>|                           ~ eps^2
    R2(eps) = |L(p + eps v) - L(p) - eps <g, v> - eps^2 / 2 <v, H v>|      ~ eps^3

  A wrong gradient leaves R1 (and R2) with a first-order term, so their observed order drops to
  1. `passed` requires the last `tail` rates of the last remainder within `tolerance` of its
  expected order; a remainder already at round-off level counts as converged. Use float64.
  """
  if hvp_fn is not None and grad_fn is None:
    raise ValueError("taylor_test needs grad_fn whenever hvp_fn is given.")
  if epsilons is None:  # R2 ~ eps^3 must stay above round-off, so it gets larger steps.
    eps0, count = (1e-1, 8) if hvp_fn is not None else (1e-2, 12)
    epsilons = eps0 * 0.5 ** np.arange(count)
  epsilons = np.asarray(epsilons, dtype=np.float64)
  v = _random_direction(params, seed)
  l0 = float(loss_fn(params))
  shifted = np.array([float(loss_fn(jax.tree.map(lambda p, d: p + e * d, params, v)))
                      for e in epsilons])
  remainders = [np.abs(shifted - l0)]
  if grad_fn is not None:
    gv = float(_tree_vdot(grad_fn(params), v))
    remainders.append(np.abs(shifted - l0 - epsilons * gv))
  if hvp_fn is not None:
    vhv = float(_tree_vdot(v, hvp_fn(params, v)))
    remainders.append(np.abs(shifted - l0 - epsilons * gv - 0.5 * epsilons ** 2 * vhv))
  rates = tuple(_observed_rates(r) for r in remainders)
  expected = len(remainders)
  roundoff = 64 * np.finfo(np.result_type(*[np.asarray(x) for x in jax.tree.leaves(params)])
                           ).eps * max(abs(l0), 1.0)
  last = remainders[-1]
  if np.all(last < roundoff):   # Exact to round-off (a linear or quadratic loss, say).
    passed = True
  else:
    tail_r, tail_rates = last[-tail:], rates[-1][-tail:]
    passed = bool(np.all((tail_r < roundoff) | (tail_rates >= expected - tolerance)))
  return TaylorResult(epsilons, tuple(remainders), rates, passed)


def hvp(loss_fn):
  """Hessian-vector product (params, v) -> H v, by forward-over-reverse differentiation."""
  grad = jax.grad(loss_fn)
  return lambda params, v: jax.jvp(grad, (params,), (v,))[1]


def max_relative_error(a, b) -> float:
  """max over leaves of ||a - b||_inf / ||b||_inf (a leaf of zeros compares absolutely)."""
  errors = []
  for x, y in zip(jax.tree.leaves(a), jax.tree.leaves(b)):
    scale = float(jnp.max(jnp.abs(y)))
    errors.append(float(jnp.max(jnp.abs(x - y))) / (scale if scale > 0 else 1.0))
  return max(errors)

