"""Likelihoods of 8-bit pixels: each pixel takes one of the 256 values 0, 1, ..., 255, shown to
the model as x = value / 255 in [0, 1]. Both are proper discrete distributions (their 256
probabilities sum to 1), so their NLLs in nats convert to bits per dimension:
bits/dim = NLL / (H W C ln 2), the usual figure of merit for 8-bit images.

Discretized logistic mixture (Salimans et al. 2017, PixelCNN++), with the pixel rescaled to
v = 2x - 1 in [-1, 1] and bins of half-width h = 1/255 around it:

  P(value) = sum_k pi_k [sigma((v + h - mu_k) / s_k) - sigma((v - h - mu_k) / s_k)]

with the edge bins taking the tails (value 0: sigma((v + h - mu) / s), from -inf; value 255:
1 - sigma((v - h - mu) / s), to +inf). The difference of sigmoids is taken in log space through
sigma(a) - sigma(b) = sigma(a) sigma(-b) (1 - e^(b - a)), a > b, so no bin underflows to zero.
Each pixel and channel is its own mixture: the decoder is not autoregressive, so PixelCNN++'s
coupling of the R, G and B means is left out. Raw outputs per pixel: K mixture logits, K means,
K log-scales (bounded below by log s >= -7, as in PixelCNN++), laid out as 3K blocks of D.

Categorical: 256 logits per pixel, laid out as 256 blocks of D (value-major).
"""

import math

import jax
import jax.numpy as jnp

LOG_SCALE_MIN = -7.0
NUM_VALUES = 256
HALF_BIN = 1.0 / 255.0


def _blocks(out, count: int):
  """[B, count * D] -> [B, count, D]."""
  return out.reshape(out.shape[0], count, -1)


def logistic_params(out, components: int):
  """(log pi [B, K, D], mu [B, K, D], log s [B, K, D]) of raw outputs [B, 3 K D]."""
  blocks = _blocks(out, 3 * components)
  logits, mu, raw = jnp.split(blocks, 3, axis=1)
  log_scale = LOG_SCALE_MIN + jax.nn.softplus(raw - LOG_SCALE_MIN)
  return jax.nn.log_softmax(logits, axis=1), mu, log_scale


def _log_minus_exp_neg(d):
  """log(1 - e^-d) for d > 0, stable for small and large d."""
  return jnp.where(d < math.log(2), jnp.log(-jnp.expm1(-d)), jnp.log1p(-jnp.exp(-d)))


def logistic_log_probs(x, out, components: int):
  """log P(value) per pixel [B, D] of x [B, D] in [0, 1] (value = round(255 x))."""
  log_pi, mu, log_s = logistic_params(out, components)
  v = (2.0 * x - 1.0)[:, None, :]
  inv_s = jnp.exp(-log_s)
  a = (v + HALF_BIN - mu) * inv_s          # upper edge, standardized
  b = (v - HALF_BIN - mu) * inv_s          # lower edge
  interior = (jax.nn.log_sigmoid(a) + jax.nn.log_sigmoid(-b)
              + _log_minus_exp_neg(2.0 * HALF_BIN * inv_s))
  value = jnp.round(x * 255.0)[:, None, :]
  log_p = jnp.where(value <= 0, jax.nn.log_sigmoid(a),
                    jnp.where(value >= 255, jax.nn.log_sigmoid(-b), interior))
  return jax.nn.logsumexp(log_pi + log_p, axis=1)


def logistic_nll(x, out, components: int):
  return -jnp.sum(logistic_log_probs(x, out, components), axis=-1)


def logistic_mean(out, components: int):
  """The mixture's mean pixel in [0, 1] (each logistic's mean, clipped to the pixel range)."""
  log_pi, mu, _ = logistic_params(out, components)
  return jnp.sum(jnp.exp(log_pi) * (jnp.clip(mu, -1.0, 1.0) + 1.0) / 2.0, axis=1)


def logistic_sample(key, out, components: int):
  """A sample, quantized to the 256 values, in [0, 1]."""
  log_pi, mu, log_s = logistic_params(out, components)
  k_pick, k_u = jax.random.split(key)
  pick = jax.random.categorical(k_pick, log_pi, axis=1)[:, None, :]       # [B, 1, D]
  mu = jnp.take_along_axis(mu, pick, 1)[:, 0]
  s = jnp.exp(jnp.take_along_axis(log_s, pick, 1)[:, 0])
  u = jax.random.uniform(k_u, mu.shape, mu.dtype, 1e-5, 1 - 1e-5)
  v = jnp.clip(mu + s * (jnp.log(u) - jnp.log1p(-u)), -1.0, 1.0)
  return jnp.round((v + 1.0) / 2.0 * 255.0) / 255.0


def categorical_log_probs(x, out):
  """log P(value) per pixel [B, D]: 256 logits per pixel, value-major blocks."""
  logp = jax.nn.log_softmax(_blocks(out, NUM_VALUES), axis=1)             # [B, 256, D]
  value = jnp.round(x * 255.0).astype(jnp.int32)[:, None, :]
  return jnp.take_along_axis(logp, value, axis=1)[:, 0]


def categorical_nll(x, out):
  return -jnp.sum(categorical_log_probs(x, out), axis=-1)


def categorical_mean(out):
  p = jax.nn.softmax(_blocks(out, NUM_VALUES), axis=1)
  values = jnp.arange(NUM_VALUES, dtype=p.dtype)[None, :, None] / 255.0
  return jnp.sum(p * values, axis=1)


def categorical_sample(key, out):
  value = jax.random.categorical(key, _blocks(out, NUM_VALUES), axis=1)
  return value.astype(out.dtype) / 255.0


def bits_per_dim(nll_nats, num_dims: int):
  """nats per example -> bits per dimension."""
  return nll_nats / (num_dims * math.log(2.0))
