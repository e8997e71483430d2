"""The multilayer perceptron, twice over the same activation table.

As pure functions (the lecture's chapter 1, where backprop is derived by hand): params is a list of layers {"w": [fan_in, fan_out], "b": [fan_out]}. Hidden layers compute
a_l = act(z_l), z_l = a_{l-1} W_l + b_l; the last layer is linear and its output parameterizes
the likelihood head of `ae.foundations.nll` (a Gaussian mean, Bernoulli or Categorical logits).

As a Flax (linen) module, `MLP`, for the model families: the same layers, named dense_0, dense_1,
...; hidden layers use the same `ACTIVATIONS[name].fn`.
"""

import functools
from typing import Any, Callable, NamedTuple, Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp


class Activation(NamedTuple):
  fn: Callable[[jnp.ndarray], jnp.ndarray]
  derivative: Callable[[jnp.ndarray], jnp.ndarray]  # d act / d z, as a function of z


def _sigmoid_prime(z):
  s = jax.nn.sigmoid(z)
  return s * (1.0 - s)  # <= 1/4, reached at z = 0: the root of vanishing gradients.


ACTIVATIONS = {
    "sigmoid": Activation(jax.nn.sigmoid, _sigmoid_prime),
    "tanh": Activation(jnp.tanh, lambda z: 1.0 - jnp.tanh(z) ** 2),
    "relu": Activation(jax.nn.relu, lambda z: (z > 0).astype(z.dtype)),
    "elu": Activation(jax.nn.elu, lambda z: jnp.where(z > 0, jnp.ones_like(z), jnp.exp(z))),
    "identity": Activation(lambda z: z, jnp.ones_like),
    "softplus": Activation(jax.nn.softplus, jax.nn.sigmoid),   # Kingma et al. 2014's units
}

# Initial weight scale std(fan_in, fan_out) of the usual schemes.
INITS = {
    "normal": lambda fan_in, fan_out: 1.0,                                # N(0, 1)
    "lecun": lambda fan_in, fan_out: (1.0 / fan_in) ** 0.5,
    "glorot": lambda fan_in, fan_out: (2.0 / (fan_in + fan_out)) ** 0.5,  # Xavier
    "he": lambda fan_in, fan_out: (2.0 / fan_in) ** 0.5,                  # Kaiming
}


def activation(name: str) -> Activation:
  if name not in ACTIVATIONS:
    raise ValueError(f"unknown activation {name!r}; choose one of {', '.join(ACTIVATIONS)}.")
  return ACTIVATIONS[name]


def init_mlp(key: jax.Array, sizes: Sequence[int], init: str = "glorot",
             dtype=jnp.float32) -> list:
  """Gaussian weights with the named scheme's std, zero biases; sizes = [in, hidden..., out]."""
  if init not in INITS:
    raise ValueError(f"unknown init {init!r}; choose one of {', '.join(INITS)}.")
  keys = jax.random.split(key, len(sizes) - 1)
  params = []
  for k, fan_in, fan_out in zip(keys, sizes[:-1], sizes[1:]):
    std = INITS[init](fan_in, fan_out)
    params.append({"w": std * jax.random.normal(k, (fan_in, fan_out), dtype),
                   "b": jnp.zeros((fan_out,), dtype)})
  return params


def mlp_forward(params: list, x: jnp.ndarray, act: str) -> jnp.ndarray:
  """The network's output (the head's parameters) for inputs x [N, D]."""
  fn = activation(act).fn
  for layer in params[:-1]:
    x = fn(x @ layer["w"] + layer["b"])
  return x @ params[-1]["w"] + params[-1]["b"]


def random_biases(key: jax.Array, params: list, scale: float = 0.1) -> list:
  """The same params with small random biases, so tests do not rest on zero biases."""
  keys = jax.random.split(key, len(params))
  return [{"w": p["w"], "b": scale * jax.random.normal(k, p["b"].shape, p["b"].dtype)}
          for k, p in zip(keys, params)]


def _is_dense(lhs, rhs, dimension_numbers) -> bool:
  """flax Dense's contraction: the inputs' last axis with a 2-D kernel's first, no batch axes."""
  return rhs.ndim == 2 and tuple(map(tuple, dimension_numbers[0])) == ((lhs.ndim - 1,), (0,)) \
      and not any(dimension_numbers[1])


@functools.partial(jax.custom_vjp, nondiff_argnums=(2, 3))
def _dense_dot(lhs, rhs, dimension_numbers, precision):
  return jax.lax.dot_general(lhs, rhs, dimension_numbers, precision,
                             preferred_element_type=jnp.float32)


def _dense_dot_fwd(lhs, rhs, dimension_numbers, precision):
  return _dense_dot(lhs, rhs, dimension_numbers, precision), (lhs, rhs)


def _dense_dot_bwd(dimension_numbers, precision, residuals, g):
  """Both backward matmuls with low-precision operands: the float32 cotangent is rounded to the
  inputs' dtype first. Left to JAX's transpose rule, a float32 cotangent against a bfloat16
  operand makes XLA convert both to float32, so 7 of the reference VAE step's 11 matmuls (every
  backward one) ran in float32 (scripts/bf16_study.py). Accumulation stays float32."""
  lhs, rhs = residuals
  g = g.astype(lhs.dtype)
  d_lhs = jax.lax.dot_general(g, rhs, (((g.ndim - 1,), (1,)), ((), ())), precision,
                              preferred_element_type=jnp.float32)
  rows = lhs.reshape(-1, lhs.shape[-1])   # [N, in]: the weight gradient is rows^T g
  d_rhs = jax.lax.dot_general(_materialized_transpose(rows), g.reshape(-1, g.shape[-1]),
                              (((1,), (0,)), ((), ())), precision,
                              preferred_element_type=jnp.float32)
  return d_lhs.astype(lhs.dtype), d_rhs.astype(rhs.dtype)


def _materialized_transpose(a):
  """a.T ([N, in] -> [in, N]) as a copy XLA cannot fold back into the dot. XLA:CPU folds a
  transpose into the dot's dimension numbers (contract the batch axis of both operands), and
  that dot it cannot give to its bf16 kernels: it converts both operands to float32, so the
  weight-gradient matmuls ran at 0.6-0.9x the float32 rate (scripts/bf16_study.py). Written
  into a buffer one column wider and sliced back, the transpose stays a copy and the dot a
  plain [in, N] x [N, out] one in bf16 (the step's speed with and without it: BENCHMARKS.md,
  "bfloat16 against float32 and every PyTorch mode"). Other backends get the plain transpose."""
  if jax.default_backend() != "cpu":
    return a.T
  wider = jnp.zeros((a.shape[1], a.shape[0] + 1), a.dtype)
  return jax.lax.dynamic_update_slice(wider, a.T, (0, 0))[:, :a.shape[0]]


_dense_dot.defvjp(_dense_dot_fwd, _dense_dot_bwd)


def low_precision_dot_general(lhs, rhs, dimension_numbers, precision=None,
                              preferred_element_type=None):
  """flax Dense's dot_general for a low-precision dtype: operands in it, float32 products
  (preferred_element_type), and a backward pass whose two matmuls take low-precision operands
  too (`_dense_dot_bwd`). Another contraction, or float32 operands, is lax.dot_general's."""
  del preferred_element_type   # always float32
  if lhs.dtype == jnp.float32 or not _is_dense(lhs, rhs, dimension_numbers):
    return jax.lax.dot_general(lhs, rhs, dimension_numbers, precision,
                               preferred_element_type=jnp.float32)
  return _dense_dot(lhs, rhs, dimension_numbers, precision)


def layer_dtype(dtype, kind: str = "dense") -> dict:
  """The keyword arguments that make a flax Dense or Conv (kind) compute in `dtype` (None: the
  inputs' own) with float32 accumulation and outputs: bfloat16 operands into the matmul units,
  preferred_element_type=float32 out of them, so the bias add and its gradient (a sum over
  every batch position, 50,000 terms for a 28x28 conv layer at batch 64) are float32 too. Summed
  in bfloat16, that bias gradient came out at a twelfth of its size. Dense layers also take their
  backward matmuls in `dtype` (low_precision_dot_general); convolutions' backward ones run on
  a float32 cotangent (XLA converts their operands up)."""
  if dtype is None:
    return {}
  if kind == "dense":
    return {"dtype": dtype, "dot_general": low_precision_dot_general}
  return {"dtype": dtype, "conv_general_dilated": functools.partial(
      jax.lax.conv_general_dilated, preferred_element_type=jnp.float32)}


class MLP(nn.Module):
  """Dense layers with `activation` between them; the last layer is linear. With a `dtype`
  (bfloat16) the layers compute in it on float32 parameters, and the outputs are cast back to
  float32, because log-densities and losses are computed from them; None computes in the
  inputs' dtype (float32, or float64 in the gradient tests)."""
  features: Sequence[int]
  activation: str = "relu"
  dtype: Any = None

  @nn.compact
  def __call__(self, x):
    fn = activation(self.activation).fn
    for i, width in enumerate(self.features):
      x = nn.Dense(width, **layer_dtype(self.dtype), name=f"dense_{i}")(x)
      if i < len(self.features) - 1:
        x = fn(x)
    return x if self.dtype is None else x.astype(jnp.float32)
