"""Diagonal Gaussians: the VAE's posterior q(z | x) = N(mu, diag(exp(logvar))) and its prior
p(z) = N(0, I).

  log N(z; mu, diag(s^2)) = -1/2 sum_j [ (z_j - mu_j)^2 / s_j^2 + log s_j^2 + log 2 pi ]
  KL(N(mu, diag(s^2)) || N(0, I)) = 1/2 sum_j [ mu_j^2 + s_j^2 - log s_j^2 - 1 ]     (closed form)
  z = mu + s * eps, eps ~ N(0, I)        (the reparameterization: a gradient through mu and s)

Every function sums over the last axis (the latent dimensions) and keeps the others.
"""

import math

import jax
import jax.numpy as jnp

LOG_2PI = math.log(2 * math.pi)


def log_normal(z, mean, logvar):
  """log N(z; mean, diag(exp(logvar))), summed over the last axis."""
  return -0.5 * jnp.sum((z - mean) ** 2 * jnp.exp(-logvar) + logvar + LOG_2PI, axis=-1)


def log_standard_normal(z):
  """log N(z; 0, I), summed over the last axis."""
  return -0.5 * jnp.sum(z ** 2 + LOG_2PI, axis=-1)


def kl_to_standard_normal(mean, logvar):
  """KL(q || N(0, I)) in closed form, per example [..]."""
  return 0.5 * jnp.sum(mean ** 2 + jnp.exp(logvar) - logvar - 1.0, axis=-1)


def sample(key, mean, logvar, num_samples: int | None = None):
  """z = mean + exp(logvar / 2) * eps: [..., k], or [num_samples, ..., k] when asked."""
  shape = mean.shape if num_samples is None else (num_samples, *mean.shape)
  eps = jax.random.normal(key, shape, mean.dtype)
  return mean + jnp.exp(0.5 * logvar) * eps
