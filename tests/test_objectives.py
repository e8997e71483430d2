"""Each objective on fixed inputs against an independent numpy computation; the contractive
penalty against a brute-force Jacobian and the sigmoid closed form."""

import json

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import stats

from ae import models
from ae.distributions import corruption, likelihoods
from ae.errors import ConfigError
from ae.models import autoencoders
from ae.training import config as config_lib
from tests.conftest import MNIST_SPEC


def make_config(name="ae", **overrides):
  return config_lib.make(name, **{"model.latent_dim": 3, "model.hidden": (6,),
                                  "model.activation": "tanh", **overrides})


CONFIG = make_config()


def _setup(config, n=5, seed=0):
  rng = np.random.default_rng(seed)
  images = rng.integers(0, 256, size=(n, 28, 28, 1)).astype(np.uint8)
  model = models.build(config, MNIST_SPEC)
  params = model.init_params(jax.random.PRNGKey(seed))
  return model, params, {"image": jnp.asarray(images), "label": jnp.zeros(n, jnp.int32)}


def _pixels(batch, dtype=np.float64):
  return np.asarray(batch["image"], dtype).reshape(batch["image"].shape[0], -1) / 255


def _numpy_forward(params, x, config):
  """The autoencoder by hand in float64: returns (pre_code, code, decoder outputs)."""
  act = {"tanh": np.tanh, "relu": lambda v: np.maximum(v, 0)}[config.model.activation]
  code = "sigmoid" if config.model.name == "sae" else config.model.code_activation
  code_act = {"identity": lambda v: v, "sigmoid": lambda v: 1 / (1 + np.exp(-v))}[code]

  def mlp(p, h):
    layers = sorted(p["mlp"], key=lambda name: int(name.split("_")[1]))
    for i, name in enumerate(layers):
      h = h @ np.asarray(p["mlp"][name]["kernel"], np.float64) + np.asarray(
          p["mlp"][name]["bias"], np.float64)
      if i < len(layers) - 1:
        h = act(h)
    return h

  pre = mlp(params["params"]["encoder"], x)
  code = code_act(pre)
  return pre, code, mlp(params["params"]["decoder"], code)


def _bce(x, logits):
  p = 1 / (1 + np.exp(-logits))
  return -np.sum(x * np.log(p) + (1 - x) * np.log(1 - p), axis=1)


def test_ae_objective_against_numpy():
  model, params, batch = _setup(CONFIG)
  loss, metrics = model.loss(params, batch, jax.random.PRNGKey(0))
  x = _pixels(batch)
  expected = _bce(x, _numpy_forward(params, x, CONFIG)[2]).mean()
  np.testing.assert_allclose(float(loss), expected, rtol=1e-5)
  assert float(metrics["penalty"]) == 0.0 and float(metrics["nll"]) == float(loss)


def test_gaussian_likelihood_objective_against_scipy():
  config = make_config(**{"model.likelihood": "gaussian", "model.sigma": 0.5})
  model, params, batch = _setup(config, seed=1)
  loss, _ = model.loss(params, batch, jax.random.PRNGKey(0))
  x = _pixels(batch)
  mean = _numpy_forward(params, x, config)[2]
  expected = -stats.norm.logpdf(x, mean, 0.5).sum(1).mean()
  np.testing.assert_allclose(float(loss), expected, rtol=1e-5)


def test_dae_objective_targets_the_clean_input():
  config = make_config("dae", **{"dae.noise": "salt_pepper", "dae.noise_level": 0.25})
  model, params, batch = _setup(config, seed=2)
  rng = jax.random.PRNGKey(7)
  loss, _ = model.loss(params, batch, rng)
  x = _pixels(batch, np.float32)
  noisy = np.asarray(corruption.corrupt(jax.random.split(rng)[1], jnp.asarray(x), "salt_pepper",
                                        0.25), np.float64)
  expected = _bce(x.astype(np.float64), _numpy_forward(params, noisy, config)[2]).mean()
  np.testing.assert_allclose(float(loss), expected, rtol=1e-5)
  clean_loss, _ = models.build(make_config("ae"), MNIST_SPEC).loss(params, batch, rng)
  assert abs(float(loss) - float(clean_loss)) > 1e-3  # The corruption does change the input.


def test_sae_objective_and_kl_against_numpy():
  config = make_config("sae", **{"sae.sparsity_target": 0.1, "sae.sparsity_weight": 0.5})
  model, params, batch = _setup(config, seed=3)
  loss, metrics = model.loss(params, batch, jax.random.PRNGKey(0))
  x = _pixels(batch)
  pre, code, out = _numpy_forward(params, x, config)
  rho_hat = code.mean(0)
  kl = 0.1 * np.log(0.1 / rho_hat) + 0.9 * np.log(0.9 / (1 - rho_hat))
  np.testing.assert_allclose(float(metrics["penalty"]), 0.5 * kl.sum(), rtol=1e-4)
  np.testing.assert_allclose(float(loss), _bce(x, out).mean() + 0.5 * kl.sum(), rtol=1e-5)


def test_sparsity_kl_is_stable_for_saturated_units():
  pre = jnp.array([[80.0, -80.0], [90.0, -95.0]])
  kl = autoencoders.sparsity_kl(pre, 0.05)
  assert bool(jnp.all(jnp.isfinite(kl)))
  rho_hat = np.mean(1 / (1 + np.exp(np.array([80.0, 95.0]))))  # About 1e-35: no underflow here.
  np.testing.assert_allclose(kl[1], 0.05 * np.log(0.05 / rho_hat)
                             + 0.95 * np.log(0.95 / (1 - rho_hat)), rtol=1e-5)
  assert float(autoencoders.sparsity_kl(jnp.full((4, 1), np.log(0.05 / 0.95)), 0.05)[0]) < 1e-6


def test_contractive_penalty_against_brute_force_jacobian(x64):
  rng = np.random.default_rng(4)
  w1, w2 = rng.normal(size=(5, 4)) * 0.7, rng.normal(size=(4, 3)) * 0.7
  encode = lambda x: jnp.tanh(jnp.tanh(x @ w1) @ w2)
  x = rng.normal(size=(3, 5))
  exact = autoencoders.jacobian_frobenius_sq(encode, jnp.asarray(x))
  h = 1e-6
  brute = []
  for xi in x:
    cols = [(np.asarray(encode(jnp.asarray(xi + h * e)[None]))[0]
             - np.asarray(encode(jnp.asarray(xi - h * e)[None]))[0]) / (2 * h)
            for e in np.eye(5)]
    brute.append(np.sum(np.stack(cols) ** 2))
  np.testing.assert_allclose(exact, brute, rtol=1e-7)


def test_contractive_closed_form_for_a_sigmoid_layer(x64):
  rng = np.random.default_rng(5)
  w, b = jnp.asarray(rng.normal(size=(6, 4))), jnp.asarray(rng.normal(size=4))
  x = jnp.asarray(rng.normal(size=(7, 6)))
  exact = autoencoders.jacobian_frobenius_sq(lambda v: jax.nn.sigmoid(v @ w + b), x)
  np.testing.assert_allclose(autoencoders.contractive_sigmoid_closed_form(w, b, x), exact,
                             rtol=1e-12)


def test_cae_objective_uses_the_encoder_jacobian():
  config = make_config("cae", **{"cae.contractive_weight": 2.0})
  model, params, batch = _setup(config, n=3, seed=6)
  _, metrics = model.loss(params, batch, jax.random.PRNGKey(0))
  x = jnp.asarray(_pixels(batch, np.float32))
  encode = lambda v: model.module.apply(params, v, method=model.module.encode)
  np.testing.assert_allclose(float(metrics["penalty"]),
                             2.0 * float(autoencoders.jacobian_frobenius_sq(encode, x).mean()),
                             rtol=1e-5)
  assert float(metrics["penalty"]) > 0


def test_the_projected_jacobian_penalty_is_unbiased(x64):
  """Hutchinson's estimator against the exact ||J||_F^2 per example, to within 5 standard errors
  of the Rademacher estimator's known variance, 2 (||J^T J||_F^2 - sum_i (J^T J)_ii^2) / m."""
  rng = np.random.default_rng(0)
  w1, w2 = jnp.asarray(rng.normal(size=(6, 5))), jnp.asarray(rng.normal(size=(5, 3)))
  encode = lambda v: jnp.tanh(v @ w1) @ w2
  x = jnp.asarray(rng.normal(size=(4, 6)))
  exact = np.asarray(autoencoders.jacobian_frobenius_sq(encode, x))
  m = 20000
  estimate = np.asarray(autoencoders.jacobian_frobenius_sq_projected(
      encode, x, jax.random.PRNGKey(1), m))
  jacobians = np.asarray(jax.vmap(jax.jacrev(encode))(x))           # [B, 3, 6]
  gram = np.einsum("bki,bkj->bij", jacobians, jacobians)            # J^T J, [B, 6, 6]
  variance = 2 * ((gram ** 2).sum((1, 2)) - (np.diagonal(gram, axis1=1, axis2=2) ** 2).sum(1))
  np.testing.assert_array_less(np.abs(estimate - exact), 5 * np.sqrt(variance / m))
  one = np.asarray(autoencoders.jacobian_frobenius_sq_projected(encode, x,
                                                                 jax.random.PRNGKey(2), 1))
  assert not np.allclose(one, exact, rtol=1e-3)   # One projection is an estimate, not exact.


def test_cae_with_projections_trains_on_the_estimated_penalty():
  config = make_config("cae", **{"cae.contractive_weight": 2.0, "cae.jacobian": "projection",
                                 "cae.num_projections": 4})
  model, params, batch = _setup(config, n=3, seed=6)
  _, metrics = model.loss(params, batch, jax.random.PRNGKey(0))
  x = jnp.asarray(_pixels(batch, np.float32))
  encode = lambda v: model.module.apply(params, v, method=model.module.encode)
  estimate = autoencoders.jacobian_frobenius_sq_projected(
      encode, x, jax.random.fold_in(jax.random.PRNGKey(0), 2), 4)
  np.testing.assert_allclose(float(metrics["penalty"]), 2.0 * float(estimate.mean()), rtol=1e-5)
  grads = jax.grad(lambda p: model.loss(p, batch, jax.random.PRNGKey(0))[0])(params)
  assert all(np.isfinite(np.asarray(g)).all() for g in jax.tree.leaves(grads))


def test_corruptions():
  x = jnp.full((200, 100), 0.5)
  key = jax.random.PRNGKey(0)
  masked = corruption.corrupt(key, x, "masking", 0.3)
  assert abs(float(jnp.mean(masked == 0)) - 0.3) < 0.01
  assert set(np.unique(masked).tolist()) == {0.0, 0.5}
  sp = corruption.corrupt(key, x, "salt_pepper", 0.2)
  assert abs(float(jnp.mean(sp != 0.5)) - 0.2) < 0.01
  assert abs(float(jnp.mean(sp == 1.0)) - 0.1) < 0.01
  g = corruption.corrupt(key, x, "gaussian", 0.1)
  assert abs(float(jnp.std(g - x)) - 0.1) < 0.005
  with pytest.raises(ValueError, match="unknown noise 'blur'"):
    corruption.corrupt(key, x, "blur", 0.1)


def test_learned_gaussian_likelihood_and_floor():
  lik = likelihoods.get("gaussian_learned")
  rng = np.random.default_rng(8)
  x, mean, raw = rng.random((2, 4)), rng.random((2, 4)), rng.normal(size=(2, 4))
  out = jnp.asarray(np.concatenate([mean, raw], 1), jnp.float32)
  sigma = np.exp(np.asarray(likelihoods.bounded_log_scale(jnp.asarray(raw))))
  np.testing.assert_allclose(lik.nll(jnp.asarray(x, jnp.float32), out),
                             -stats.norm.logpdf(x, mean, sigma).sum(1), rtol=1e-5)
  assert float(likelihoods.bounded_log_scale(jnp.array(-1e4))) == pytest.approx(np.log(0.01))
  assert lik.sample(jax.random.PRNGKey(0), out).shape == (2, 4)
  assert lik.mean(out).shape == (2, 4)


@pytest.mark.parametrize("name,changes,field,message", [
    ("ae", {"model.latent_dim": 0}, "model.latent_dim", "must be at least 1, not 0."),
    ("ae", {"model.likelihood": "poisson"}, "model.likelihood", "'poisson' does not exist"),
    ("ae", {"data.binarize": "dynamic", "model.likelihood": "gaussian"}, "data.binarize",
     "goes with"),
    ("dae", {"dae.noise_level": 1.5}, "dae.noise_level", "must be at most 1, not 1.5."),
    ("ae", {"train.learning_rate": 0.0}, "train.learning_rate", "must be greater than 0"),
    ("ae", {"train.learning_rate": float("nan")}, "train.learning_rate", "finite"),
    ("ae", {"model.sigma": float("inf")}, "model.sigma", "finite"),
    ("ae", {"model.hidden": (64, 0)}, "model.hidden", "positive integers"),
    ("sae", {"sae.sparsity_target": 1.0}, "sae.sparsity_target", "must lie in (0, 1)"),
    ("cae", {"cae.contractive_weight": -1.0}, "cae.contractive_weight", "at least 0"),
    ("ae", {"train.seed": -1}, "train.seed", "at least 0"),
])
def test_config_errors_name_the_field(name, changes, field, message):
  with pytest.raises(ConfigError) as err:
    make_config(name, **changes)
  assert err.value.field == field and message in err.value.message


def test_unknown_model_and_unknown_fields_are_refused():
  with pytest.raises(ConfigError, match="'gan' does not exist; choose one of ae, dae, sae, "
                     "cae, vae, iwae, cvae"):
    config_lib.base_config("gan")
  d = config_lib.to_dict(make_config("dae"))
  d["dae"]["blur"] = 1
  with pytest.raises(ConfigError, match="is not a field of the dae config") as err:
    config_lib.from_dict(d)
  assert err.value.field == "dae.blur"
  d = config_lib.to_dict(make_config("dae", **{"train.seed": 3}))
  del d["train"]["seed"], d["train"]["adam_eps"]   # Written before these fields existed:
  loaded = config_lib.from_dict(d)                   # they take their defaults.
  assert loaded.train.seed == 0 and loaded.train.adam_eps == 1e-8
  del d["dae"]
  with pytest.raises(ConfigError, match="is missing") as err:   # A whole section is not.
    config_lib.from_dict(d)
  assert err.value.field == "dae"


def test_each_model_has_only_its_own_section():
  assert "dae" in config_lib.base_config("dae") and "sae" not in config_lib.base_config("dae")
  assert set(config_lib.base_config("ae").keys()) == {"model", "data", "train"}


def test_config_json_roundtrip(tmp_path):
  config = make_config("sae", **{"model.hidden": (32, 16), "data.max_train_examples": 10})
  path = tmp_path / "config.json"
  path.write_text(json.dumps({**config_lib.to_dict(config), "workdir": "w"}))
  loaded = config_lib.from_dict(json.loads(path.read_text()))
  assert loaded.to_dict() == config.to_dict() and loaded.model.hidden == (32, 16)
