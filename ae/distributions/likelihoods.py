"""The decoder's output distribution p(x | z): what its raw outputs mean, their NLL, mean, samples.

  bernoulli          outputs are logits; for binarized or gray-level pixels (the BCE loss)
  gaussian           outputs are the mean; sigma is fixed (sigma = 1 gives 0.5 * SSE + const)
  gaussian_learned   outputs are the mean and log sigma per pixel (log sigma bounded below)
  discretized_logistic   8-bit pixels: a mixture of config.model.mixture_components
                     discretized logistics per pixel (ae.distributions.eight_bit)
  categorical256     8-bit pixels: 256 logits per pixel

The two 8-bit likelihoods are discrete distributions over the 256 pixel values, so their NLLs
are also reported in bits per dimension (`EIGHT_BIT`).
"""

import math
from typing import Callable, NamedTuple

import jax
import jax.numpy as jnp

from ae.distributions import eight_bit
from ae.foundations import nll

NAMES = ("bernoulli", "gaussian", "gaussian_learned", "discretized_logistic", "categorical256")
EIGHT_BIT = ("discretized_logistic", "categorical256")
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


def get(name: str, sigma: float = 1.0, components: int = 1) -> Likelihood:
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
  if name == "discretized_logistic":
    k = components
    return Likelihood(name, 3 * k, lambda x, out: eight_bit.logistic_nll(x, out, k),
                      lambda out: eight_bit.logistic_mean(out, k),
                      lambda key, out: eight_bit.logistic_sample(key, out, k))
  if name == "categorical256":
    return Likelihood(name, eight_bit.NUM_VALUES, eight_bit.categorical_nll,
                      eight_bit.categorical_mean, eight_bit.categorical_sample)
  raise ValueError(f"unknown likelihood {name!r}; choose one of {', '.join(NAMES)}.")
