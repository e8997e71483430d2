"""Imputation and denoising (ae.evaluation.imputation): masks, scores and nearest neighbours
against brute force, the chain on models whose fixed points are known, the conditional
likelihood against quadrature, and the binary's required flag."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from ae.evaluation import imputation
from tests.conftest import run_binary


def test_masks():
  half = imputation.masks("bottom_half", (28, 28, 1), 3)
  assert half.shape == (3, 784) and half.sum() == 3 * 392
  assert not half[:, :392].any() and half[:, 392:].all()   # rows 14..27 of the (H, W, C) order
  rgb = imputation.masks("bottom_half", (4, 2, 3), 1)[0].reshape(4, 2, 3)
  assert rgb[2:].all() and not rgb[:2].any()
  random = imputation.masks("random", (28, 28, 1), 200, fraction=0.3, seed=1)
  assert random.mean() == pytest.approx(0.3, abs=0.01)
  with pytest.raises(ValueError, match="bottom_half, random"):
    imputation.masks("top", (28, 28, 1), 1)


def test_scores_against_a_loop():
  rng = np.random.default_rng(0)
  x, p = rng.random((5, 12)), rng.random((5, 12))
  p[0, 0], p[1, 1] = 0.0, 1.0   # clipped to EPS and 1 - EPS
  missing = rng.random((5, 12)) < 0.5
  nll = se = 0.0
  for i in range(5):
    for j in range(12):
      if missing[i, j]:
        q = min(max(p[i, j], 1e-4), 1 - 1e-4)
        nll -= x[i, j] * np.log(q) + (1 - x[i, j]) * np.log(1 - q)
        se += (x[i, j] - p[i, j]) ** 2
  got = imputation.scores(x, p, missing)
  assert got["nll"] == pytest.approx(nll / 5, rel=1e-12)
  assert got["squared_error"] == pytest.approx(se / 5, rel=1e-12)


def test_nearest_neighbours_against_brute_force():
  rng = np.random.default_rng(1)
  train, x = rng.random((300, 20)).astype(np.float32), rng.random((7, 20)).astype(np.float32)
  missing = rng.random((7, 20)) < 0.4
  got = imputation.nearest_neighbours(train, x, missing, ks=(1, 3), chunk=4)
  idx = imputation.neighbour_indices(train, x, missing, 5, chunk=3)
  for i in range(7):
    o = ~missing[i]
    order = np.argsort(((train[:, o] - x[i, o]) ** 2).sum(1))
    assert list(idx[i]) == list(order[:5])
    np.testing.assert_allclose(got[1][i], train[order[0]], rtol=1e-6)
    np.testing.assert_allclose(got[3][i], train[order[:3]].mean(0), rtol=1e-6)


class _Fixed:
  """A stand-in model: its encoder's mean is the image, its decoder maps z to f(z)."""

  def __init__(self, f):
    self.f = f
    self.likelihood = type("L", (), {"mean": staticmethod(lambda out: out)})

  def encode_distribution(self, state, x, labels=None):
    return x, jnp.full_like(x, -60.0)   # sigma = e^-30: z is the mean

  def decode(self, state, z, labels=None):
    return self.f(z) if labels is None else self.f(z) * 0 + labels[:, None] / 10.0


def test_chain_fixed_points():
  """An identity model keeps the starting fill; a constant decoder gives its constant; a
  decoder of the label gives label / 10 (the conditional chain sees the labels)."""
  rng = np.random.default_rng(2)
  x = rng.random((6, 10)).astype(np.float32)
  missing = rng.random((6, 10)) < 0.5
  start = np.full_like(x, 0.25)
  key = jax.random.PRNGKey(0)
  same = imputation.vae_chain(_Fixed(lambda z: z), None, x, missing, start, key, 10,
                              batch_size=4)
  np.testing.assert_allclose(np.where(missing, same, 0), np.where(missing, 0.25, 0), atol=1e-6)
  np.testing.assert_allclose(np.where(missing, 0, same), np.where(missing, 0, x), atol=1e-6)
  const = imputation.vae_chain(_Fixed(lambda z: jnp.full_like(z, 0.7)), None, x, missing,
                               start, key, 10)
  np.testing.assert_allclose(const, 0.7, atol=1e-6)
  labels = np.arange(6)
  by_label = imputation.vae_chain(_Fixed(lambda z: z), None, x, missing, start, key, 10, labels)
  np.testing.assert_allclose(by_label, np.repeat(labels[:, None] / 10.0, 10, 1), atol=1e-6)


class _LinearDecoder:
  """A 1-D latent model: q(z | x) = N(0, 1) = p(z) whatever x, Bernoulli logits a z + b."""

  def __init__(self, a, b):
    self.a, self.b = jnp.asarray(a), jnp.asarray(b)
    self.likelihood = type("L", (), {"mean": staticmethod(jax.nn.sigmoid)})

  def encode_distribution(self, state, x, labels=None):
    return jnp.zeros((x.shape[0], 1)), jnp.zeros((x.shape[0], 1))

  def decode(self, state, z, labels=None):
    return z * self.a + self.b


def test_conditional_likelihood_against_quadrature():
  """-log p(x_m | x_o) = -log [int p(z) p(x_o|z) p(x_m|z) dz / int p(z) p(x_o|z) dz], by the
  trapezoid rule on a fine grid of z, and the predictive mean the same way."""
  rng = np.random.default_rng(4)
  a, b = rng.normal(0, 2, 6), rng.normal(0, 1, 6)
  x = rng.random((3, 6)).astype(np.float32)
  missing = np.array([[1, 1, 0, 0, 0, 1], [0, 1, 0, 1, 0, 0], [1, 1, 1, 0, 0, 0]], bool)
  model = _LinearDecoder(a.astype(np.float32), b.astype(np.float32))
  starts = np.stack([np.full_like(x, v) for v in (0.1, 0.5, 0.9, 0.3)], 1)   # 4 chains
  nll, mean = imputation.vae_conditional(model, None, x, missing, starts,
                                         jax.random.PRNGKey(0), iterations=2, samples=25000)
  z = np.linspace(-9, 9, 20001)
  for i in range(3):
    logits = z[:, None] * a + b
    log_px = x[i] * -np.logaddexp(0, -logits) + (1 - x[i]) * -np.logaddexp(0, logits)
    prior = np.exp(-0.5 * z ** 2) / np.sqrt(2 * np.pi)
    joint_o = prior * np.exp(log_px[:, ~missing[i]].sum(1))
    p_m = np.exp(log_px[:, missing[i]].sum(1))
    want = -np.log(np.trapezoid(joint_o * p_m, z) / np.trapezoid(joint_o, z))
    assert nll[i] == pytest.approx(want, abs=0.02), i
    want_mean = np.trapezoid(joint_o[:, None] / (1 + np.exp(-logits)), z, axis=0) / np.trapezoid(
        joint_o, z)
    np.testing.assert_allclose(mean[i], want_mean, atol=0.01)


def test_gaussian_noise_is_clipped_and_seeded():
  x = np.linspace(0, 1, 50, dtype=np.float32)[None]
  a, b = imputation.gaussian_noise(x, 0.5, 3), imputation.gaussian_noise(x, 0.5, 3)
  assert np.array_equal(a, b) and a.min() >= 0 and a.max() <= 1 and not np.allclose(a, x)


def test_binary_needs_a_vae(tmp_path):
  """The rest of the binary (every method on tiny runs, the figure, imputation.json) is run by
  tests/test_lecture_site.py's tiny lecture; its bad inputs are rows of the README's table."""
  missing = run_binary("imputation", f"--workdir={tmp_path / 'c'}")
  assert missing.returncode == 2
  assert "--vae: is required: name a trained vae run, as in --vae=runs/vae." in missing.stderr
