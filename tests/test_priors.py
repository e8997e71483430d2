"""The AAE's priors against their densities: moments in closed form, histograms on a grid against
the density integrated over each cell, and each label's samples on its own part."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import stats

from ae.distributions import priors

N = 200_000


def _cell_probabilities(log_density, edges, sub: int = 6):
  """P(cell) for a 2-D density: the mean of the density over sub x sub points per cell times its
  area (the midpoint rule on a finer grid)."""
  width = edges[1] - edges[0]
  fine = edges[0] + (np.arange((len(edges) - 1) * sub) + 0.5) * width / sub
  z1, z2 = np.meshgrid(fine, fine, indexing="ij")
  dens = np.exp(np.asarray(log_density(jnp.asarray(np.stack([z1, z2], -1)))), dtype=np.float64)
  n = len(edges) - 1
  return dens.reshape(n, sub, n, sub).mean((1, 3)) * width ** 2


def test_normal_moments_and_density():
  prior = priors.get("normal", 3)
  z = np.asarray(prior.sample(jax.random.PRNGKey(0), N), np.float64)
  np.testing.assert_allclose(z.mean(0), 0, atol=0.01)
  np.testing.assert_allclose(np.cov(z.T), np.eye(3), atol=0.02)
  np.testing.assert_allclose(prior.log_density(jnp.asarray(z[:5], jnp.float32)),
                             stats.multivariate_normal(np.zeros(3)).logpdf(z[:5]), rtol=1e-5)


def test_mixture_component_moments():
  """Component y: mean R(theta_y) (1.4, 0), covariance R diag(0.25, 0.01) R^T."""
  prior = priors.Mixture()
  for y in (0, 3, 7):
    z = np.asarray(prior.sample_given_labels(jax.random.PRNGKey(y), jnp.full((N,), y)),
                   np.float64)
    t = 2 * math.pi * y / 10
    r = np.array([[math.cos(t), -math.sin(t)], [math.sin(t), math.cos(t)]])
    np.testing.assert_allclose(z.mean(0), r @ [1.4, 0.0], atol=0.01)
    np.testing.assert_allclose(np.cov(z.T), r @ np.diag([0.25, 0.01]) @ r.T, atol=0.01)


def test_mixture_log_density_matches_scipy_and_integrates_to_one():
  prior = priors.Mixture()
  z = np.asarray(prior.sample(jax.random.PRNGKey(1), 50), np.float64)
  expected = 0.0
  comps = []
  for y in range(10):
    t = 2 * math.pi * y / 10
    r = np.array([[math.cos(t), -math.sin(t)], [math.sin(t), math.cos(t)]])
    comps.append(stats.multivariate_normal(r @ [1.4, 0], r @ np.diag([0.25, 0.01]) @ r.T))
  expected = np.log(np.mean([c.pdf(z) for c in comps], 0))
  np.testing.assert_allclose(prior.log_density(jnp.asarray(z, jnp.float32)), expected,
                             rtol=1e-4, atol=1e-4)
  edges = np.linspace(-4.5, 4.5, 91)
  assert abs(_cell_probabilities(prior.log_density, edges).sum() - 1) < 1e-3


def test_mixture_histogram_matches_density():
  prior = priors.Mixture()
  z = np.asarray(prior.sample(jax.random.PRNGKey(2), N))
  edges = np.linspace(-3.5, 3.5, 36)
  counts, _, _ = np.histogram2d(z[:, 0], z[:, 1], bins=[edges, edges])
  expected = _cell_probabilities(prior.log_density, edges) * N
  big = expected > 50
  # Poisson noise: within 5 standard deviations in every well-populated cell.
  assert np.all(np.abs(counts[big] - expected[big]) < 5 * np.sqrt(expected[big]))
  assert counts.sum() > 0.99 * N


def test_mixture_assign_recovers_labels():
  prior = priors.Mixture()
  labels = jnp.arange(10_000) % 10
  z = prior.sample_given_labels(jax.random.PRNGKey(3), labels)
  assert float(jnp.mean(prior.assign(z) == labels)) > 0.97
  # The component means themselves are assigned exactly.
  means = prior.sample_given_labels(jax.random.PRNGKey(3), labels[:10]) * 0
  t = 2 * jnp.pi * jnp.arange(10) / 10
  means = 1.4 * jnp.stack([jnp.cos(t), jnp.sin(t)], -1)
  np.testing.assert_array_equal(prior.assign(means), np.arange(10))


def test_swiss_roll_radius_histogram_and_curve():
  prior = priors.SwissRoll()
  z = np.asarray(prior.sample(jax.random.PRNGKey(4), N), np.float64)
  r = np.hypot(z[:, 0], z[:, 1])
  edges = np.linspace(0, 3, 31)
  counts, _ = np.histogram(r, edges)
  # P(bin) = integral of 2r/9 = (b^2 - a^2) / 9.
  expected = (edges[1:] ** 2 - edges[:-1] ** 2) / 9 * N
  assert np.all(np.abs(counts - expected) < 5 * np.sqrt(expected))
  assert np.isclose(np.trapezoid(priors.radius_density(edges), edges), 1, atol=1e-3)
  # On the curve: the angle is 4 pi r / 3 (mod 2 pi).
  angle = np.arctan2(z[:, 1], z[:, 0])
  diff = np.angle(np.exp(1j * (angle - 4 * np.pi * r / 3)))
  assert np.max(np.abs(diff[r > 0.05])) < 1e-3
  assert prior.log_density is None


def test_swiss_roll_labels_pick_tenths():
  prior = priors.SwissRoll()
  labels = jnp.arange(20_000) % 10
  z = np.asarray(prior.sample_given_labels(jax.random.PRNGKey(5), labels), np.float64)
  r = np.hypot(z[:, 0], z[:, 1])
  lo, hi = 3 * np.sqrt(np.asarray(labels) / 10), 3 * np.sqrt((np.asarray(labels) + 1) / 10)
  assert np.all((r >= lo - 1e-4) & (r <= hi + 1e-4))
  assert float(jnp.mean(prior.assign(jnp.asarray(z, jnp.float32)) == labels)) > 0.99


def test_unknown_prior_is_refused():
  with pytest.raises(ValueError, match="choose one of normal, mixture, swiss_roll"):
    priors.get("uniform", 2)
