"""Hand-derived backprop == jax.grad in float64; the Taylor test passes right gradients and
fails wrong ones."""

import itertools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from ae.foundations import gradients, mlp, nll


def _problem(head, act, depth, seed=0, n=12, d=9, width=7):
  k1, k2, k3 = jax.random.split(jax.random.PRNGKey(seed), 3)
  x = jax.random.uniform(k1, (n, d), jnp.float64)
  y = {"gaussian": x, "bernoulli": (x > 0.5).astype(jnp.float64),
       "categorical": jax.random.randint(k3, (n,), 0, 4)}[head]
  out = 4 if head == "categorical" else d
  params = mlp.init_mlp(k2, [d] + [width] * (depth - 1) + [out], "glorot", jnp.float64)
  return mlp.random_biases(k3, params), x, y


@pytest.mark.parametrize("head,act", list(itertools.product(nll.HEADS, mlp.ACTIVATIONS)))
def test_backprop_matches_autodiff(x64, head, act):
  for depth in (1, 2, 5):
    params, x, y = _problem(head, act, depth)
    by_hand = gradients.backprop(params, x, y, act, head)
    by_jax = jax.grad(gradients.loss)(params, x, y, act, head)
    assert by_hand[0]["w"].dtype == jnp.float64
    assert gradients.max_relative_error(by_hand, by_jax) < 1e-10, (head, act, depth)


def test_max_relative_error_sees_a_wrong_gradient(x64):
  params, x, y = _problem("categorical", "tanh", 3)
  g = jax.grad(gradients.loss)(params, x, y, "tanh", "categorical")
  wrong = jax.tree.map(lambda a: a, g)
  wrong[1]["b"] = wrong[1]["b"] * 1.001
  assert gradients.max_relative_error(wrong, g) == pytest.approx(1e-3, rel=1e-6)


@pytest.mark.parametrize("w,b", [(0.6, 0.9), (2.0, 2.0), (-1.0, 0.3)])
def test_single_neuron_closed_forms(x64, w, b):
  x, y = 1.0, 0.0
  for kind, closed in (("mse", gradients.neuron_grad_mse), ("ce", gradients.neuron_grad_ce)):
    auto = jax.grad(gradients.neuron_loss, argnums=(1, 2))(kind, jnp.float64(w), jnp.float64(b),
                                                            x, y)
    np.testing.assert_allclose(auto, closed(w, b, x, y), rtol=1e-12)
  a = gradients.neuron_output(w, b, x)
  # The sigma'(z) factor: MSE's gradient is CE's times a (1 - a).
  np.testing.assert_allclose(gradients.neuron_grad_mse(w, b, x, y)[0],
                             gradients.neuron_grad_ce(w, b, x, y)[0] * a * (1 - a), rtol=1e-12)


def test_sigmoid_derivative_bound_and_relu_derivative():
  z = jnp.linspace(-10, 10, 2001)
  d = mlp.activation("sigmoid").derivative(z)
  assert float(d.max()) == pytest.approx(0.25, abs=1e-6)
  assert float(mlp.activation("sigmoid").derivative(jnp.array(0.0))) == 0.25
  np.testing.assert_array_equal(mlp.activation("relu").derivative(jnp.array([-1.0, 2.0])),
                                [0.0, 1.0])


def _taylor_problem():
  params, x, y = _problem("categorical", "tanh", 3, seed=4)
  loss_fn = lambda p: gradients.loss(p, x, y, "tanh", "categorical")
  return loss_fn, params


def _scaled(grad_fn, factor):
  return lambda p: jax.tree.map(lambda g: factor * g, grad_fn(p))


def test_taylor_passes_with_right_gradient_and_hvp(x64):
  loss_fn, params = _taylor_problem()
  r = gradients.taylor_test(loss_fn, params, jax.grad(loss_fn), gradients.hvp(loss_fn))
  assert r.passed
  assert len(r.remainders) == 3 and len(r.rates) == 3
  assert r.remainders[0].shape == r.epsilons.shape
  assert r.rates[0].shape == (len(r.epsilons) - 1,)
  np.testing.assert_allclose(r.epsilons[1:] / r.epsilons[:-1], 0.5)
  for order, rates in enumerate(r.rates, start=1):
    assert abs(np.median(rates) - order) < 0.1, (order, rates)


def test_taylor_with_hand_backprop_passes(x64):
  params, x, y = _problem("bernoulli", "sigmoid", 4, seed=5)
  loss_fn = lambda p: gradients.loss(p, x, y, "sigmoid", "bernoulli")
  r = gradients.taylor_test(loss_fn, params,
                            lambda p: gradients.backprop(p, x, y, "sigmoid", "bernoulli"))
  assert r.passed and len(r.remainders) == 2
  assert abs(r.rates[1][-1] - 2.0) < 0.1


def test_taylor_fails_on_one_percent_wrong_gradient(x64):
  loss_fn, params = _taylor_problem()
  wrong = _scaled(jax.grad(loss_fn), 1.01)
  r1 = gradients.taylor_test(loss_fn, params, wrong)
  assert not r1.passed
  assert abs(r1.rates[1][-1] - 1.0) < 0.1  # R1 degrades to first order.
  r2 = gradients.taylor_test(loss_fn, params, wrong, gradients.hvp(loss_fn))
  assert not r2.passed


def test_taylor_fails_on_wrong_hvp(x64):
  loss_fn, params = _taylor_problem()
  wrong_hvp = lambda p, v: jax.tree.map(lambda h: 1.05 * h, gradients.hvp(loss_fn)(p, v))
  r = gradients.taylor_test(loss_fn, params, jax.grad(loss_fn), wrong_hvp)
  assert not r.passed
  assert abs(r.rates[2][-1] - 2.0) < 0.2  # R2 degrades to second order.


def test_taylor_r0_only_and_argument_error(x64):
  loss_fn, params = _taylor_problem()
  r = gradients.taylor_test(loss_fn, params)
  assert r.passed and len(r.remainders) == 1
  with pytest.raises(ValueError, match="needs grad_fn"):
    gradients.taylor_test(loss_fn, params, hvp_fn=gradients.hvp(loss_fn))


def test_taylor_quadratic_is_exact_at_second_order(x64):
  a = jnp.array([[3.0, 1.0], [1.0, 2.0]], jnp.float64)
  loss_fn = lambda p: 0.5 * p @ a @ p + p.sum()
  p0 = jnp.array([0.3, -0.7], jnp.float64)
  r = gradients.taylor_test(loss_fn, p0, jax.grad(loss_fn), gradients.hvp(loss_fn))
  assert r.passed
  assert float(r.remainders[2].max()) < 1e-13
