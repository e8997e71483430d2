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


def layer_dtype(dtype, kind: str = "dense") -> dict:
  """The keyword arguments that make a flax Dense or Conv (kind) compute in `dtype` (None: the
  inputs' own) with float32 accumulation and outputs: bfloat16 operands into the matmul units,
  preferred_element_type=float32 out of them, so the bias add and its gradient (a sum over
  every batch position, 50,000 terms for a 28x28 conv layer at batch 64) are float32 too. Summed
  in bfloat16, that bias gradient came out at a twelfth of its size."""
  if dtype is None:
    return {}
  op = jax.lax.dot_general if kind == "dense" else jax.lax.conv_general_dilated
  name = "dot_general" if kind == "dense" else "conv_general_dilated"
  return {"dtype": dtype, name: functools.partial(op, preferred_element_type=jnp.float32)}


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
