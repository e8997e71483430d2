"""The decoder's output distribution p(x | z): what its raw outputs mean, their NLL, mean, samples.

  bernoulli          outputs are logits; for binarized or gray-level pixels (the BCE loss)
  gaussian           outputs are the mean; sigma is fixed (sigma = 1 gives 0.5 * SSE + const)
  gaussian_learned   outputs are the mean and log sigma per pixel (log sigma bounded below)
"""

import math
from typing import Callable, NamedTuple

import jax
import jax.numpy as jnp

from ae.foundations import nll

NAMES = ("bernoulli", "gaussian", "gaussian_learned")
SIGMA_MIN = 0.01  # Pixels are quantized: a sigma -> 0 would give unbounded likelihoods.


def bounded_log_scale(raw, sigma_min: float = SIGMA_MIN):
  """log sigma = log(sigma_min) + softplus(raw - log(sigma_min)): smooth, never below the floor."""
  floor = math.log(sigma_min)
  return floor + jax.nn.softplus(raw - floor)


class Likelihood(NamedTuple):
  name: str
  outputs_per_pixel: int
  nll: Callable      # (x [B, D], outputs [B, k D]) -> [B]
  mean: Callable     # outputs -> E[x | z], [B, D]
  sample: Callable   # (key, outputs) -> x ~ p(x | z), [B, D]


def get(name: str, sigma: float = 1.0) -> Likelihood:
  if name == "bernoulli":
    return Likelihood(name, 1, nll.bernoulli_nll, jax.nn.sigmoid,
                      lambda key, out: jax.random.bernoulli(key, jax.nn.sigmoid(out)).astype(
                          out.dtype))
  if name == "gaussian":
    log_sigma = math.log(sigma)
    return Likelihood(name, 1, lambda x, out: nll.gaussian_nll(x, out, log_sigma),
                      lambda out: out,
                      lambda key, out: out + sigma * jax.random.normal(key, out.shape, out.dtype))

  if name == "gaussian_learned":
    def split(out):
      mean, raw = jnp.split(out, 2, axis=-1)
      return mean, bounded_log_scale(raw)

    def sample(key, out):
      mean, log_scale = split(out)
      return mean + jnp.exp(log_scale) * jax.random.normal(key, mean.shape, mean.dtype)
    return Likelihood(name, 2, lambda x, out: nll.gaussian_nll(x, *split(out)),
                      lambda out: split(out)[0], sample)
  raise ValueError(f"unknown likelihood {name!r}; choose one of {', '.join(NAMES)}.")
