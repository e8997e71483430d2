"""The chapter's identities: Gaussian NLL ~ MSE, Bernoulli NLL = BCE, Categorical NLL = CE."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import stats

from ae.foundations import nll


def _data(seed=0, n=5, d=7):
  rng = np.random.default_rng(seed)
  return (rng.random((n, d)).astype(np.float32), rng.normal(size=(n, d)).astype(np.float32))


def test_gaussian_unit_sigma_is_half_sse_plus_constant():
  x, mean = _data()
  d = x.shape[1]
  expected = 0.5 * np.sum((x - mean) ** 2, axis=1) + 0.5 * d * math.log(2 * math.pi)
  np.testing.assert_allclose(nll.gaussian_nll(x, mean, 0.0), expected, rtol=1e-6)
  np.testing.assert_allclose(nll.mse(x, mean), np.mean((x - mean) ** 2, axis=1), rtol=1e-5)


def test_gaussian_matches_scipy_with_broadcast_log_scale():
  x, mean = _data(1)
  log_scale = np.linspace(-1.0, 1.0, x.shape[1]).astype(np.float32)  # Broadcasts over rows.
  expected = -stats.norm.logpdf(x, loc=mean, scale=np.exp(log_scale)).sum(axis=1)
  np.testing.assert_allclose(nll.gaussian_nll(x, mean, log_scale), expected, rtol=1e-5)


def test_bernoulli_is_bce_and_matches_scipy():
  rng = np.random.default_rng(2)
  x = (rng.random((4, 9)) > 0.5).astype(np.float32)
  logits = rng.normal(size=(4, 9)).astype(np.float32) * 3
  p = 1 / (1 + np.exp(-logits.astype(np.float64)))
  bce = -np.sum(x * np.log(p) + (1 - x) * np.log(1 - p), axis=1)
  np.testing.assert_allclose(nll.bernoulli_nll(x, logits), bce, rtol=1e-5)
  np.testing.assert_allclose(nll.binary_cross_entropy(x, logits), bce, rtol=1e-5)
  np.testing.assert_allclose(nll.bernoulli_nll(x, logits),
                             -stats.bernoulli.logpmf(x, p).sum(axis=1), rtol=1e-5)


def test_categorical_is_ce_and_matches_scipy():
  rng = np.random.default_rng(3)
  logits = rng.normal(size=(6, 10)).astype(np.float32) * 2
  labels = rng.integers(0, 10, size=6)
  p = np.exp(logits - logits.max(1, keepdims=True))
  p /= p.sum(1, keepdims=True)
  expected = -np.array([stats.multinomial.logpmf(np.eye(10)[k], 1, p[i])
                        for i, k in enumerate(labels)])
  np.testing.assert_allclose(nll.categorical_nll(labels, logits), expected, rtol=1e-5)
  np.testing.assert_allclose(nll.cross_entropy(labels, logits), expected, rtol=1e-5)


def test_per_example_shape_sums_all_but_first_axis():
  x = jnp.ones((3, 4, 5, 1))
  assert nll.gaussian_nll(x, x).shape == (3,)
  assert nll.bernoulli_nll(x, x).shape == (3,)
  np.testing.assert_allclose(nll.gaussian_nll(x, x), 20 * 0.5 * math.log(2 * math.pi), rtol=1e-6)


def test_extreme_logits_are_finite_and_exact():
  logits = jnp.array([[1e4, -1e4, 1e4, -1e4]])
  x = jnp.array([[1.0, 0.0, 0.0, 1.0]])
  # Right with certainty costs 0; wrong with certainty costs |logit| nats.
  np.testing.assert_allclose(nll.bernoulli_nll(x, logits), [2e4], rtol=1e-7)
  np.testing.assert_allclose(nll.bernoulli_nll(x[:, :2], logits[:, :2]), [0.0], atol=0)
  ce = nll.categorical_nll(jnp.array([0, 1]), jnp.array([[1e4, -1e4], [1e4, -1e4]]))
  np.testing.assert_allclose(ce, [0.0, 2e4], rtol=1e-7)
  g = jax.grad(lambda l: nll.bernoulli_nll(x, l).sum())(logits)
  assert bool(jnp.all(jnp.isfinite(g)))


def test_head_nll_dispatch_and_error():
  x, mean = _data()
  np.testing.assert_allclose(nll.head_nll("gaussian", x, mean), nll.gaussian_nll(x, mean))
  with pytest.raises(ValueError, match="unknown head 'poisson'"):
    nll.head_nll("poisson", x, mean)


def test_softplus_is_jax_nn_softplus_bitwise_and_numpy_in_float64():
  grid = np.concatenate([np.linspace(-30, 30, 2001), [-1e4, -100, -20.5, 0, 1e-8, 88, 100, 1e4]])
  l = jnp.asarray(grid, jnp.float32)
  grid = np.asarray(l, np.float64)   # The reference at the float32 inputs.
  ours, theirs = jax.jit(nll.softplus)(l), jax.jit(jax.nn.softplus)(l)
  np.testing.assert_array_equal(ours, theirs)   # The same values, so training runs are too.
  np.testing.assert_allclose(ours, np.logaddexp(0, grid), rtol=1e-6, atol=1e-30)
  grad = jax.jit(jax.vmap(jax.grad(nll.softplus)))(l)
  np.testing.assert_array_equal(grad, jax.jit(jax.vmap(jax.grad(jax.nn.softplus)))(l))
  from scipy import special
  np.testing.assert_allclose(grad, special.expit(grid), rtol=1e-6, atol=1e-30)
  x = jnp.asarray(np.random.default_rng(0).uniform(size=(3, 7)), jnp.float32)
  logits = jnp.asarray(np.random.default_rng(1).normal(size=(3, 7)) * 5, jnp.float32)
  old = lambda l: (jax.nn.softplus(l) - x * l).sum()
  np.testing.assert_array_equal(jax.jit(jax.grad(lambda l: nll.bernoulli_nll(x, l).sum()))(logits),
                                jax.jit(jax.grad(old))(logits))
