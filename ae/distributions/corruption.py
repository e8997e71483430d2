"""Input corruption for the denoising autoencoder: x_tilde ~ q(x_tilde | x). The target stays x.

  gaussian      x + noise_level * N(0, 1)
  masking       each pixel set to 0 with probability noise_level
  salt_pepper   each pixel set to 0 or 1 (equally likely) with probability noise_level
"""

import jax
import jax.numpy as jnp

NAMES = ("gaussian", "masking", "salt_pepper")


def corrupt(key: jax.Array, x: jnp.ndarray, kind: str, level: float) -> jnp.ndarray:
  if kind == "gaussian":
    return x + level * jax.random.normal(key, x.shape, x.dtype)
  if kind == "masking":
    return jnp.where(jax.random.bernoulli(key, level, x.shape), jnp.zeros_like(x), x)
  if kind == "salt_pepper":
    k_hit, k_salt = jax.random.split(key)
    hit = jax.random.bernoulli(k_hit, level, x.shape)
    salt = jax.random.bernoulli(k_salt, 0.5, x.shape).astype(x.dtype)
    return jnp.where(hit, salt, x)
  raise ValueError(f"unknown noise {kind!r}; choose one of {', '.join(NAMES)}.")
