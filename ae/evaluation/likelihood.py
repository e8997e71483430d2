"""The importance-sampled estimate of log p(x), for any model with an encoder q(z | x):

  log p(x) = log E_{z ~ q(z|x)}[p(x, z) / q(z | x)]  ~=  log (1/k) sum_{i=1}^k w_i,
  log w_i = log p(x | z_i) + log p(z_i) - log q(z_i | x)

It is a stochastic lower bound (Jensen) that rises to log p(x) as k grows (Burda et al.'s L_k),
and exact for any k when q is the true posterior (then every w_i = p(x)). The k samples are drawn
in chunks and folded into a running logsumexp, so memory stays bounded by one chunk whatever k
(k = 5000 included), and the variational models decode a chunk in blocks of about 5,000 rows
(`variational.ROWS_PER_BLOCK`); everything is float32 with a fixed seed. NLLs are -log p(x) in nats per
example: positive, lower is better.
"""

import math
from typing import Callable

import jax
import jax.numpy as jnp
import numpy as np

from ae import data


def log_marginal(log_weights: Callable, rng: jax.Array, num_samples: int,
                 chunk_size: int = 500, scan: bool = True, second_moment: bool = False):
  """log (1/k) sum_i w_i per example; log_weights(rng, n) -> [n, B] draws n samples' log w.
  The chunks are folded in by a lax.scan, or with scan=False by a host loop (the same numbers;
  for conv networks on CPU, see `ae.training.step.scan_suits`). second_moment=True also returns
  log (1/k) sum_i w_i^2 (from the same draws), for `log_estimate_variance`."""
  chunk = min(chunk_size, num_samples)
  full, rest = divmod(num_samples, chunk)

  def fold(acc, lw):
    new = jnp.stack([jax.nn.logsumexp(lw, axis=0), jax.nn.logsumexp(2 * lw, axis=0)])
    return new if acc is None else jnp.logaddexp(acc, new)

  acc = fold(None, log_weights(jax.random.fold_in(rng, 0), chunk))

  def body(acc, i):
    return fold(acc, log_weights(jax.random.fold_in(rng, i), chunk)), None

  if full > 1 and scan:
    acc, _ = jax.lax.scan(body, acc, jnp.arange(1, full))
  for i in range(1, full if not scan else 1):
    acc, _ = body(acc, i)
  if rest:
    acc = fold(acc, log_weights(jax.random.fold_in(rng, full), rest))
  acc = acc - math.log(num_samples)
  return (acc[0], acc[1]) if second_moment else acc[0]


def log_estimate_variance(log_m1, log_m2, num_samples: int):
  """The delta-method variance of the estimate log p^ = log (1/k) sum_i w_i over its k draws:
  Var[log p^] ~= Var[w] / (k E[w]^2) = (E[w^2] / E[w]^2 - 1) / k, with the moments estimated
  from the same draws (log_m1, log_m2 from `log_marginal(..., second_moment=True)`). It is the
  estimator's Monte Carlo variance, not the spread over examples."""
  return jnp.expm1(jnp.maximum(log_m2 - 2 * log_m1, 0.0)) / num_samples


def importance_sampled_nll(model, state, split, num_samples: int, batch_size: int = 100,
                           chunk_size: int = 500, seed: int = 0, scan: bool = True,
                           with_variance: bool = False):
  """-log p(x) estimated with num_samples importance samples per test example: [N], float64 on
  the host. The model must define `log_importance_weights`; conditional models use the label.
  scan=False compiles one chunk's weights and folds the chunks in from the host.
  with_variance=True returns (nll, var): var [N] the Monte Carlo variance of each example's
  estimate (`log_estimate_variance`), so the mean NLL's standard error is sqrt(sum var) / N."""
  if model.log_importance_weights is None:
    raise ValueError(f"{model.name} has no likelihood model of x to estimate log p(x) with.")
  weights = jax.jit(lambda state, x, labels, key, n: model.log_importance_weights(
      state, x, labels, key, n), static_argnums=4)

  def batch_nll(state, images, labels, rng):
    x = data.preprocess(images)
    of = model.log_importance_weights if scan else weights
    fn = lambda key, n: of(state, x, labels, key, n)
    m1, m2 = log_marginal(fn, rng, num_samples, chunk_size, scan, second_moment=True)
    return jnp.stack([-m1, log_estimate_variance(m1, m2, num_samples)])

  batch_nll = jax.jit(batch_nll) if scan else batch_nll

  key = jax.random.PRNGKey(seed)
  # One batch in flight at a time: a signal is acted on after the batch that is running, not
  # after every batch already queued by asynchronous dispatch.
  out = [np.asarray(batch_nll(state, split.images[i:i + batch_size],
                              split.labels[i:i + batch_size], jax.random.fold_in(key, i)),
                    np.float64)
         for i in range(0, split.size, batch_size)]
  nll, var = np.concatenate(out, axis=1)
  return (nll, var) if with_variance else nll
