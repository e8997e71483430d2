"""The descent rules: accept only decreases, shrink eta on rejection, stop on |delta L| < tol."""

import jax
import jax.numpy as jnp
import numpy as np
import optax

from ae.foundations import descent

A = jnp.array([[3.0, 0.5], [0.5, 1.0]])
B = jnp.array([1.0, -2.0])
quadratic = lambda p: 0.5 * p @ A @ p - B @ p
MINIMUM = jnp.linalg.solve(A, B)


def test_converges_to_the_minimum_and_stops_on_tol():
  r = descent.descend(quadratic, jnp.zeros(2), learning_rate=0.3, max_steps=500, tol=1e-6)
  assert bool(r.converged)
  assert int(r.num_steps) < 500
  np.testing.assert_allclose(r.params, MINIMUM, atol=2e-3)
  n = int(r.num_steps)
  assert np.all(np.isnan(np.asarray(r.actual)[n:]))  # Nothing recorded after the stop.


def test_second_order_prediction_is_exact_on_a_quadratic():
  r = descent.descend(quadratic, jnp.array([2.0, 2.0]), learning_rate=0.2, max_steps=10, tol=0.0)
  np.testing.assert_allclose(r.predicted_second, r.actual, rtol=2e-4, atol=1e-6)
  g = jax.grad(quadratic)(jnp.array([2.0, 2.0]))
  np.testing.assert_allclose(r.predicted_first[0], 0.2 * g @ g, rtol=1e-6)


def test_rejects_increases_and_shrinks_eta():
  # eta = 1.5 > 2 / lambda_max (about 0.64) would diverge; the rule shrinks it until steps work.
  r = descent.descend(quadratic, jnp.array([2.0, 2.0]), learning_rate=1.5, max_steps=60, tol=0.0)
  accepted = np.asarray(r.accepted)
  assert not accepted[0] and accepted.sum() > 0
  etas = np.asarray(r.etas)
  assert etas[1] == 0.75 and etas[2] <= 0.75
  losses = np.asarray(r.losses)
  assert np.all(np.diff(losses) <= 0)  # The loss never goes up.
  np.testing.assert_allclose(r.params, MINIMUM, atol=1e-3)


def test_every_step_taken_diverges_at_the_same_eta():
  r = descent.descend(quadratic, jnp.array([2.0, 2.0]), learning_rate=1.5, max_steps=30,
                      tol=0.0, enforce_decrease=False)
  assert bool(np.all(r.accepted))
  assert float(r.losses[-1]) > 1e3


def test_optax_optimizer_in_the_same_loop():
  r = descent.descend(quadratic, jnp.zeros(2), optimizer=optax.adam(0.1), learning_rate=1.0,
                      max_steps=300, tol=0.0, enforce_decrease=False)
  np.testing.assert_allclose(r.params, MINIMUM, atol=1e-2)
  assert float(r.losses[-1]) < float(r.losses[0])


def test_lbfgs_reaches_least_squares():
  rng = np.random.default_rng(0)
  x = rng.normal(size=(50, 4)).astype(np.float32)
  y = rng.normal(size=(50,)).astype(np.float32)
  params, losses = descent.minimize_lbfgs(lambda w: jnp.sum((x @ w - y) ** 2), jnp.zeros(4), 50)
  np.testing.assert_allclose(params, np.linalg.lstsq(x, y, rcond=None)[0], atol=1e-4)
  assert losses.shape == (50,)
