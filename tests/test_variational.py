"""The variational family against independent references: the closed-form KL against Monte
Carlo, the ELBO of a fixed tiny model against numpy, the importance-sampled log p(x) against
probabilistic PCA's closed form, the IWAE bound's order in k and its gradient's weights."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import stats

from tests.conftest import crash_after
from ae import models
from ae.distributions import gaussians
from ae.evaluation import likelihood
from ae.models import base, variational
from ae.training import config as config_lib, loop
from tests.conftest import MNIST_SPEC


def tiny_config(name="vae", **changes):
  return config_lib.make(name, **{"model.hidden": (6,), "model.latent_dim": 2,
                                  "model.activation": "tanh", **changes})


def batch_of(n, seed=0):
  rng = np.random.default_rng(seed)
  return {"image": jnp.asarray(rng.integers(0, 256, (n, 28, 28, 1)), jnp.uint8),
          "label": jnp.asarray(rng.integers(0, 10, n), jnp.int32)}


def test_closed_form_kl_against_monte_carlo():
  rng = np.random.default_rng(0)
  mean, logvar = rng.normal(size=3), rng.normal(size=3) * 0.5
  exact = float(gaussians.kl_to_standard_normal(jnp.asarray(mean), jnp.asarray(logvar)))
  z = gaussians.sample(jax.random.PRNGKey(1), jnp.asarray(mean), jnp.asarray(logvar), 400_000)
  terms = np.asarray(gaussians.log_normal(z, mean, logvar) - gaussians.log_standard_normal(z))
  assert abs(terms.mean() - exact) < 4 * terms.std() / math.sqrt(terms.size)
  np.testing.assert_allclose(   # and the log-density against scipy
      gaussians.log_normal(jnp.asarray(z[:5]), mean, logvar),
      stats.multivariate_normal(mean, np.diag(np.exp(logvar))).logpdf(np.asarray(z[:5])),
      rtol=1e-5)


def _numpy_mlp(params, h, act):
  layers = sorted(params, key=lambda name: int(name.split("_")[1]))
  for i, name in enumerate(layers):
    h = h @ np.asarray(params[name]["kernel"], np.float64) + np.asarray(params[name]["bias"],
                                                                       np.float64)
    if i < len(layers) - 1:
      h = act(h)
  return h


@pytest.mark.parametrize("name", ["vae", "cvae"])
def test_elbo_of_a_fixed_tiny_model_against_numpy(name):
  model = models.build(tiny_config(name, **{f"{name}.beta": 0.5}), MNIST_SPEC)
  params = model.init_params(jax.random.PRNGKey(3))
  batch, rng = batch_of(4), jax.random.PRNGKey(7)
  _, m = model.loss(params, batch, rng)
  x = np.asarray(batch["image"], np.float64).reshape(4, -1) / 255
  onehot = np.eye(10)[np.asarray(batch["label"])]
  p = params["params"]
  enc_in = np.concatenate([x, onehot], 1) if name == "cvae" else x
  mean, logvar = np.split(_numpy_mlp(p["encoder"]["mlp"], enc_in, np.tanh), 2, axis=1)
  eps = np.asarray(jax.random.normal(jax.random.split(rng)[1], (1, 4, 2)), np.float64)[0]
  z = mean + np.exp(0.5 * logvar) * eps
  dec_in = np.concatenate([z, onehot], 1) if name == "cvae" else z
  logits = _numpy_mlp(p["decoder"]["mlp"], dec_in, np.tanh)
  recon = np.sum(np.logaddexp(0, logits) - x * logits, axis=1)
  kl = 0.5 * np.sum(mean ** 2 + np.exp(logvar) - logvar - 1, axis=1)
  np.testing.assert_allclose(float(m["recon"]), recon.mean(), rtol=1e-5)
  np.testing.assert_allclose(float(m["kl"]), kl.mean(), rtol=1e-5)
  np.testing.assert_allclose(float(m["elbo"]), -(recon + kl).mean(), rtol=1e-5)
  np.testing.assert_allclose(float(m["loss"]), (recon + 0.5 * kl).mean(), rtol=1e-5)


def _ppca(seed=0, d=5, k=2, sigma=0.3):
  """Probabilistic PCA: z ~ N(0, I), x | z ~ N(W z + mu, sigma^2 I), so p(x) = N(mu, W W^T +
  sigma^2 I). W has orthogonal columns (scales s_j), so the exact posterior is diagonal:
  N((x - mu) W / (s^2 + sigma^2), sigma^2 / (s^2 + sigma^2))."""
  rng = np.random.default_rng(seed)
  q, _ = np.linalg.qr(rng.normal(size=(d, k)))
  scales = np.array([2.0, 0.8])[:k]
  w, mu = q * scales, rng.normal(size=d)
  cov = w @ w.T + sigma ** 2 * np.eye(d)
  x = rng.multivariate_normal(mu, cov, size=8)
  exact = stats.multivariate_normal(mu, cov).logpdf(x)
  post_mean = (x - mu) @ w / (scales ** 2 + sigma ** 2)
  post_logvar = np.broadcast_to(np.log(sigma ** 2 / (scales ** 2 + sigma ** 2)), post_mean.shape)

  def log_weights(prop_mean, prop_logvar):
    def fn(key, n):
      z = gaussians.sample(key, jnp.asarray(prop_mean), jnp.asarray(prop_logvar), n)
      log_px = -0.5 * jnp.sum(((x - z @ w.T - mu) / sigma) ** 2 + 2 * math.log(sigma)
                              + math.log(2 * math.pi), -1)
      return log_px + gaussians.log_standard_normal(z) - gaussians.log_normal(
          z, prop_mean, prop_logvar)
    return fn
  return exact, post_mean, post_logvar, log_weights


def test_importance_sampled_log_px_on_probabilistic_pca(x64):
  exact, post_mean, post_logvar, log_weights = _ppca()
  exact_fn = log_weights(post_mean, post_logvar)   # The true posterior as the proposal.
  for k, chunk in ((1, 1), (7, 3), (1000, 300)):
    got = likelihood.log_marginal(exact_fn, jax.random.PRNGKey(k), k, chunk)
    np.testing.assert_allclose(got, exact, atol=1e-9)   # Every weight is p(x): exact for any k.
  poor = log_weights(post_mean * 0.6, np.full(post_mean.shape, 0.5))
  errors, gaps = [], []
  for k in (1, 10, 100, 3000):
    estimate = jax.jit(lambda key: likelihood.log_marginal(poor, key, k, 1000))
    est = np.mean([np.asarray(estimate(jax.random.PRNGKey(s))) for s in range(4)], axis=0)
    errors.append(float(np.mean(np.abs(est - exact))))
    gaps.append(float(np.mean(est - exact)))
  assert errors == sorted(errors, reverse=True), errors
  assert errors[-1] < 0.05 < errors[0], errors
  assert gaps[0] < gaps[1] < 0, gaps   # From below: a lower bound, rising with k.


def test_the_estimates_monte_carlo_variance_matches_its_spread_over_seeds(x64):
  """The delta-method variance of log p^ from one run's draws against the variance of log p^
  over 400 independent runs (brute force), on probabilistic PCA with a poor proposal."""
  _, post_mean, post_logvar, log_weights = _ppca()
  poor = log_weights(post_mean * 0.8, np.full(post_mean.shape, np.log(0.5)))
  k = 200
  run = jax.jit(lambda key: likelihood.log_marginal(poor, key, k, 50, second_moment=True))
  m1, m2 = zip(*(run(jax.random.PRNGKey(s)) for s in range(400)))
  m1, m2 = np.stack(m1), np.stack(m2)
  predicted = np.asarray(likelihood.log_estimate_variance(m1, m2, k)).mean(0)
  spread = m1.var(0, ddof=1)
  assert spread.min() > 1e-6   # The proposal is poor enough for the estimates to differ.
  np.testing.assert_allclose(predicted, spread, rtol=0.35)
  np.testing.assert_allclose(run(jax.random.PRNGKey(0))[0],   # The first moment is unchanged.
                             likelihood.log_marginal(poor, jax.random.PRNGKey(0), k, 50))


def _trained_tiny(tmp_path, data_dir, name="vae", epochs=3, **changes):
  config = config_lib.make(name, **{
      "data.data_dir": data_dir, "model.hidden": (64,), "model.latent_dim": 4,
      "train.epochs": epochs, "train.batch_size": 32, "train.learning_rate": 3e-3,
      "train.eval_batch_size": 64, **changes})
  return config, loop.train_and_evaluate(config, str(tmp_path))


def test_iwae_bound_is_at_least_the_elbo_and_rises_with_k(tmp_path, tiny_data_dir):
  _, result = _trained_tiny(tmp_path, tiny_data_dir, epochs=1)
  model, state, test = result.model, result.state, result.splits["test"]
  from ae import data
  x = data.preprocess(test.images)
  bounds = {}
  for k in (1, 5, 50):
    weights = jax.jit(lambda key: model.log_importance_weights(state, x, None, key, k))
    lw = jnp.stack([weights(jax.random.PRNGKey(s)) for s in range(10)])   # [seeds, k, N]
    bounds[k] = float(variational.log_mean_exp(lw, axis=1).mean())
  elbo = float(model.eval_step(state, {"image": test.images, "label": test.labels},
                               jax.random.PRNGKey(0))["elbo"])
  assert abs(bounds[1] - elbo) < 1.0            # L_1 is the ELBO (sampled vs closed-form KL).
  assert bounds[1] < bounds[5] < bounds[50], bounds


def test_iwae_gradient_uses_the_normalized_importance_weights():
  model = models.build(tiny_config("iwae", **{"iwae.num_samples": 4}), MNIST_SPEC)
  params = model.init_params(jax.random.PRNGKey(0))
  batch, rng = batch_of(1, seed=5), jax.random.PRNGKey(2)
  grad = jax.grad(lambda p: model.loss(p, batch, rng)[0])(params)
  from ae import data
  x = data.preprocess(batch["image"])
  rng_z = jax.random.split(rng)[1]
  state = base.TrainState.create(apply_fn=None, params=params, tx=model.optimizer())
  log_w = lambda p: model.log_importance_weights(state.replace(params=p), x, None, rng_z, 4)[:, 0]
  w = jax.nn.softmax(log_w(params))                       # normalized weights
  jac = jax.jacrev(log_w)(params)                          # d log w_i / d params
  expected = jax.tree.map(lambda j: -jnp.tensordot(w, j, axes=1), jac)
  for a, b in zip(jax.tree.leaves(grad), jax.tree.leaves(expected)):
    np.testing.assert_allclose(a, b, rtol=2e-5, atol=1e-6)   # float32 parameters
  assert not np.allclose(w, 0.25)                          # not the VAE's uniform weights


@pytest.mark.parametrize("name", ["vae", "iwae", "cvae"])
def test_each_variational_model_trains_and_resumes_exactly(tmp_path, tiny_data_dir, name):
  config, straight = _trained_tiny(tmp_path / "straight", tiny_data_dir, name, epochs=2)
  h = straight.history
  assert h[-1]["train_loss"] < h[0]["train_loss"] and h[-1]["test_loss"] < h[0]["test_loss"]
  assert h[-1]["test_elbo"] <= h[-1]["test_iw_bound"] + 1e-3 or name != "iwae"
  if name == "vae":   # Reconstructions and prior samples go to TensorBoard each epoch.
    from tensorboard.backend.event_processing import event_accumulator
    events = event_accumulator.EventAccumulator(str(tmp_path / "straight"))
    events.Reload()
    assert [len(events.Images(t)) for t in ("reconstructions", "samples")] == [2, 2]
    assert events.Images("samples")[0].height == 2 * 28

  with pytest.raises(KeyboardInterrupt):
    loop.train_and_evaluate(config, str(tmp_path / "resumed"), on_epoch=crash_after(1))
  resumed = loop.train_and_evaluate(config, str(tmp_path / "resumed"))
  assert resumed.history[-1]["test_loss"] == h[-1]["test_loss"]
  assert resumed.history[-1]["train_elbo"] == h[-1]["train_elbo"]


def test_kl_warmup_changes_the_objective_not_the_reported_elbo(tmp_path, tiny_data_dir):
  _, result = _trained_tiny(tmp_path, tiny_data_dir, epochs=2, **{"vae.warmup_epochs": 4})
  first = result.history[0]
  # During warm-up beta_t < 1: the objective is below -ELBO; the ELBO is reported at beta = 1.
  assert first["train_loss"] < -first["train_elbo"] - 0.1
  np.testing.assert_allclose(first["train_elbo"], -(first["train_recon"] + first["train_kl"]),
                             rtol=1e-5)
  assert first["test_loss"] == pytest.approx(-first["test_elbo"], rel=1e-6)  # Eval: beta = 1.
  model = result.model
  steps = model.steps_per_epoch * 4
  assert float(model._beta(jnp.asarray(0))) == pytest.approx(1 / steps)
  assert float(model._beta(jnp.asarray(steps - 1))) == 1.0


def test_cvae_decodes_with_the_label_and_data_mean_bias(tiny_data_dir):
  config = config_lib.make("cvae", **{"model.hidden": (8,), "model.latent_dim": 2,
                                      "cvae.decoder_bias": "data_mean",
                                      "data.data_dir": tiny_data_dir})
  model = models.build(config, MNIST_SPEC)
  split = loop.load_splits(config)["train"]
  model.attach_training_data(split)
  state = loop.create_state(model)
  z = jnp.zeros((2, 2))
  out = model.decode(state, z, jnp.array([0, 7]))
  assert not np.allclose(out[0], out[1])                    # the label changes the image
  kernel = state.params["params"]["encoder"]["mlp"]["dense_0"]["kernel"]
  assert kernel.shape == (784 + 10, 8)                      # x and the one-hot label
  from ae import data
  mean = np.asarray(data.preprocess(split.images)).mean(0).clip(1e-3, 1 - 1e-3)
  np.testing.assert_allclose(state.params["params"]["decoder"]["mlp"]["dense_1"]["bias"],
                             np.log(mean / (1 - mean)), rtol=1e-5)


def test_burda_stage_schedule():
  rate = base.learning_rate_schedule(1e-3, "burda_stages", steps_per_epoch=10)
  for epoch, stage in ((0, 0), (1, 1), (3, 1), (4, 2), (12, 2), (13, 3), (40, 4), (120, 4),
                       (121, 5), (1092, 6), (1093, 7), (3279, 7)):
    assert float(rate(jnp.asarray(epoch * 10 + 3))) == pytest.approx(1e-3 * 10 ** (-stage / 7),
                                                                      rel=1e-6), epoch


def test_samples_per_block_is_the_largest_divisor_within_the_rows():
  for k, b, rows in ((500, 100, 8192), (500, 100, 10_000), (7, 3, 20), (7, 100, 50), (1, 1, 1),
                     (500, 1, 8192), (12, 5, 31)):
    brute = max([s for s in range(1, k + 1) if k % s == 0 and s * b <= rows] or [1])
    assert variational.samples_per_block(k, b, rows) == brute
  assert variational.samples_per_block(500, 100, 8192) == 50   # 5,000 decoder rows a block.
  assert variational.samples_per_block(7, 100, 50) == 1


def test_host_looped_importance_sampled_nll_equals_the_scanned_one():
  import types
  from ae.evaluation import likelihood
  from ae.training import loop
  model = models.build(tiny_config(), MNIST_SPEC)
  state = loop.create_state(model)
  split = types.SimpleNamespace(images=batch_of(6)["image"], labels=batch_of(6)["label"], size=6)
  got = {scan: likelihood.importance_sampled_nll(model, state, split, 25, 4, 10, scan=scan)
         for scan in (True, False)}   # Two full chunks and a remainder of 5 samples.
  assert got[True].shape == (6,) and np.all(got[True] > 0)
  np.testing.assert_allclose(got[False], got[True], rtol=1e-6)


def test_importance_weights_decoded_in_blocks_are_the_unblocked_ones(monkeypatch):
  import types
  from ae import data
  model = models.build(tiny_config(), MNIST_SPEC)
  state = types.SimpleNamespace(params=model.init_params(jax.random.PRNGKey(2)))
  x, rng = data.preprocess(batch_of(4)["image"]), jax.random.PRNGKey(5)
  log_px, log_ratio, _ = model._terms(state.params, x, None, rng, 6)
  for rows, blocks in ((8, 3), (4, 6), (10_000, 1)):   # 2, 1 and 6 samples of 4 images a block.
    monkeypatch.setattr(variational, "ROWS_PER_BLOCK", rows)
    assert 6 // variational.samples_per_block(6, 4) == blocks
    got = jax.jit(lambda x, key: model.log_importance_weights(state, x, None, key, 6))(x, rng)
    np.testing.assert_allclose(got, log_px + log_ratio, rtol=1e-6)
