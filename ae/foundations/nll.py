"""Losses as negative log-likelihoods: the network outputs the parameters of p(y | f_theta(x)).

Every function returns the NLL per example, a vector [N] summed over every axis but the first, so
the total loss of i.i.d. data is `.sum()` (the first assumption of backprop) and a minibatch
estimate is `.mean()`.

  Gaussian:     -log N(x; mu, sigma^2) = (x - mu)^2 / (2 sigma^2) + log sigma + log(2 pi) / 2
  Bernoulli:    -log Bern(x; sigmoid(l)) = softplus(l) - x l          (x may be gray levels)
  Categorical:  -log Cat(y; softmax(l)) = logsumexp(l) - l_y

The familiar losses are these with constants dropped or a scale changed:
  Gaussian with sigma = 1  ->  0.5 * sum of squared errors + (D / 2) log(2 pi)  (so MSE)
  Bernoulli                ->  binary cross-entropy
  Categorical              ->  cross-entropy
"""

import math

import jax
import jax.numpy as jnp

LOG_2PI = math.log(2.0 * math.pi)


def _sum_per_example(values: jnp.ndarray) -> jnp.ndarray:
  return jnp.reshape(values, (values.shape[0], -1)).sum(axis=-1)


def gaussian_nll(x, mean, log_scale=0.0) -> jnp.ndarray:
  """-log N(x; mean, exp(log_scale)^2) per example; log_scale broadcasts (0.0 means sigma = 1)."""
  x, mean = jnp.asarray(x), jnp.asarray(mean)
  log_scale = jnp.broadcast_to(jnp.asarray(log_scale, dtype=mean.dtype), jnp.broadcast_shapes(
      x.shape, mean.shape, jnp.shape(log_scale)))
  z = (x - mean) * jnp.exp(-log_scale)
  return _sum_per_example(0.5 * z * z + log_scale + 0.5 * LOG_2PI)


@jax.custom_jvp
def softplus(l):
  """log(1 + e^l) = max(l, 0) + log1p(e^-|l|), stable for any finite l.

  jax.nn.softplus computes the same values, plus a NaN select that kept XLA on this CPU from
  vectorizing the loop: summed over [50000, 784] logits it ran at 0.39 G elements/s against 1.47
  for this form. The derivative is sigmoid(l) = exp(l - softplus(l)), jax.nn.softplus's own
  formula, so training runs are bitwise the same as with it (tests/test_nll.py).
  """
  return jnp.maximum(l, 0) + jnp.log1p(jnp.exp(-jnp.abs(l)))


@softplus.defjvp
def _softplus_jvp(primals, tangents):
  l, = primals
  out = softplus(l)
  return out, tangents[0] * jnp.exp(l - out)


def bernoulli_nll(x, logits) -> jnp.ndarray:
  """-log Bernoulli(x; sigmoid(logits)) per example, as softplus(l) - x l (stable for any l)."""
  x, logits = jnp.asarray(x), jnp.asarray(logits)
  return _sum_per_example(softplus(logits) - x * logits)


def categorical_nll(labels, logits) -> jnp.ndarray:
  """-log softmax(logits)[label] per example; labels int [N], logits [N, C]."""
  logits = jnp.asarray(logits)
  labels = jnp.asarray(labels)
  picked = jnp.take_along_axis(logits, labels[:, None].astype(jnp.int32), axis=-1)[:, 0]
  return jax.nn.logsumexp(logits, axis=-1) - picked


# ----------------------------------------------------------------------------- familiar names


def mse(x, prediction) -> jnp.ndarray:
  """Mean squared error per example: (2 / D) * (Gaussian NLL at sigma = 1 - (D / 2) log 2 pi)."""
  x = jnp.asarray(x)
  d = math.prod(x.shape[1:])
  return (2.0 / d) * (gaussian_nll(x, prediction, 0.0) - 0.5 * d * LOG_2PI)


def binary_cross_entropy(x, logits) -> jnp.ndarray:
  """Binary cross-entropy per example (summed over dimensions) from logits: the Bernoulli NLL."""
  return bernoulli_nll(x, logits)


def cross_entropy(labels, logits) -> jnp.ndarray:
  """Cross-entropy per example from logits: the Categorical NLL."""
  return categorical_nll(labels, logits)


HEADS = ("gaussian", "bernoulli", "categorical")


def head_nll(head: str, targets, outputs) -> jnp.ndarray:
  """The NLL of `targets` when the network's `outputs` parameterize the named distribution.

  gaussian: outputs are the mean (sigma = 1); bernoulli: logits; categorical: class logits.
  """
  if head == "gaussian":
    return gaussian_nll(targets, outputs, 0.0)
  if head == "bernoulli":
    return bernoulli_nll(targets, outputs)
  if head == "categorical":
    return categorical_nll(targets, outputs)
  raise ValueError(f"unknown head {head!r}; choose one of {', '.join(HEADS)}.")
