"""VAE-GAN: the three losses against a direct computation, each update on its own parameters
with every gradient taken at the step's starting parameters, the balancing gates, the game's
balance values, the VAE's bounds on its encoder and decoder, and a run that trains and resumes."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from ae import data, models
from ae.models import phases, vaegan
from ae.training import config as config_lib, loop
from tests.conftest import MNIST_SPEC, crash_after


def _config(data_dir, **changes):
  config = config_lib.base_config("vaegan")
  config.data.update(dataset="mnist", data_dir=data_dir)
  config.model.hidden = (32,)
  config.model.latent_dim = 4
  config.vaegan.disc_hidden = (24, 16)
  config.train.update(epochs=2, batch_size=32, eval_batch_size=64)
  for path, value in changes.items():
    section, field = path.split(".")
    config[section][field] = value
  return config_lib.validate(config)


def _setup(data_dir, **changes):
  split = data.load("mnist", "train", data_dir)
  model = models.build(_config(data_dir, **changes), MNIST_SPEC)
  model.attach_training_data(split)
  state = jax.jit(model.init_state)(jax.random.PRNGKey(0))
  batch = {"image": jnp.asarray(split.images[:32]), "label": jnp.asarray(split.labels[:32])}
  return model, state, batch


def test_terms_against_a_direct_computation(tiny_data_dir):
  model, state, batch = _setup(tiny_data_dir)
  x = model.inputs(batch, None, False)
  rng = jax.random.PRNGKey(3)
  t = jax.jit(model.terms)(state.params, x, rng)
  # The same draws, by hand: z from the encoder, z_p from the prior, both decoded.
  vae = vaegan._vae_tree(state.params)
  mean, logvar = model.module.apply(vae, x, method=model.module.encode)
  rng_z, rng_p = jax.random.split(rng)
  eps = jax.random.normal(rng_z, (1,) + mean.shape)[0]
  z = mean + np.exp(0.5 * np.asarray(logvar)) * np.asarray(eps)
  logits = model.module.apply(vae, np.concatenate([z, jax.random.normal(rng_p, z.shape)]),
                              method=model.module.decode)
  p = 1 / (1 + np.exp(-np.asarray(logits, np.float64)))
  d_logit, feats = (np.asarray(a, np.float64) for a in model.discriminator.apply(
      state.params["discriminator"], np.concatenate([np.asarray(x), p.astype(np.float32)])))
  b = x.shape[0]
  xs = np.asarray(x, np.float64)
  recon = -(xs * np.log(p[:b]) + (1 - xs) * np.log1p(-p[:b])).sum(1)
  lv = np.asarray(logvar, np.float64)
  kl = 0.5 * (np.exp(lv) + np.asarray(mean, np.float64) ** 2 - 1 - lv).sum(1)
  softplus = lambda a: np.log1p(np.exp(a))
  want = {"recon": recon.mean(), "kl": kl.mean(),
          "feature_recon": (0.5 * ((feats[:b] - feats[b:2 * b]) ** 2).sum(1)).mean(),
          "disc_loss": (softplus(-d_logit[:b]) + 0.5 * (softplus(d_logit[b:2 * b])
                                                         + softplus(d_logit[2 * b:]))).mean(),
          "gen_loss": (0.5 * (softplus(-d_logit[b:2 * b]) + softplus(-d_logit[2 * b:]))).mean()}
  for key, value in want.items():
    assert float(t[key]) == pytest.approx(value, rel=2e-4, abs=1e-4), key
  assert float(t["elbo"]) == pytest.approx(-(want["recon"] + want["kl"]), rel=2e-4)


def test_balance_values_with_a_blind_discriminator(tiny_data_dir):
  """With d(x) = 0 for every image (the last layer zeroed), D = 1/2: disc_loss = 2 log 2 and
  gen_loss = log 2, as the docstring says."""
  model, state, batch = _setup(tiny_data_dir)
  disc = jax.tree.map(jnp.zeros_like, state.params["discriminator"])
  params = {**state.params, "discriminator": disc}
  t = model.terms(params, model.inputs(batch, None, False), jax.random.PRNGKey(0))
  assert float(t["disc_loss"]) == pytest.approx(2 * math.log(2), rel=1e-6)
  assert float(t["gen_loss"]) == pytest.approx(math.log(2), rel=1e-6)
  assert float(t["feature_recon"]) == 0.0 and float(t["d_real"]) == 0.5


def test_each_update_on_its_own_trees_at_the_starting_parameters(tiny_data_dir):
  """The step equals: every phase's gradient of its own loss at the starting parameters, then
  each applied by its own Adam; no phase moves another's trees or optimizer state."""
  model, state, batch = _setup(tiny_data_dir, **{"vaegan.margin": 0.0})
  rng = jax.random.PRNGKey(5)
  after, metrics = model.train_step()(jax.tree.map(jnp.copy, state), batch, rng)
  rng_binarize, rng_terms = jax.random.split(rng)
  x = model.inputs(batch, rng_binarize, True)
  table = model.phases()
  want = state
  for phase in vaegan.PHASES:
    def loss(own, phase=phase):
      return model.phase_losses(model.terms({**state.params, **own}, x, rng_terms))[phase]
    grads = jax.jit(jax.grad(loss))(phases.own(state, table, phase))   # one program, not op by op
    want = phases.apply(want, table, phase, grads)
  for tree in ("encoder", "decoder", "discriminator"):
    for a, b, s in zip(jax.tree.leaves(after.params[tree]), jax.tree.leaves(want.params[tree]),
                       jax.tree.leaves(state.params[tree])):
      assert not np.allclose(a, s), tree   # every tree moved...
      np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-7)   # ...exactly as computed here
  assert int(after.step) == 1
  assert float(metrics["disc_updates"]) == 1.0 and float(metrics["decoder_updates"]) == 1.0


def test_gates_hold_back_the_winning_side(tiny_data_dir):
  model, _, _ = _setup(tiny_data_dir)
  log2, m = math.log(2), model.section.margin
  strong = model.gates(jnp.asarray(2 * (log2 - m) - 0.01))   # D winning: D holds still
  weak = model.gates(jnp.asarray(2 * (log2 + m) + 0.01))     # D lost: the decoder holds still
  even = model.gates(jnp.asarray(2 * log2))
  assert (bool(strong["discriminator"]), bool(strong["decoder"])) == (False, True)
  assert (bool(weak["discriminator"]), bool(weak["decoder"])) == (True, False)
  assert all(bool(v) for v in even.values())
  assert bool(strong["encoder"]) and bool(weak["encoder"])


def test_held_back_update_leaves_parameters_and_optimizer_state(tiny_data_dir):
  """A discriminator that calls every image real (its output bias +50) has lost: disc_loss / 2
  is about 25 > log 2 + margin, so the decoder's update is held back (its parameters and its
  Adam state unchanged) while the encoder and the discriminator move."""
  model, state, batch = _setup(tiny_data_dir)
  last = f"dense_{len(model.section.disc_hidden)}"
  disc = jax.tree.map(jnp.copy, state.params["discriminator"])
  disc["params"][last]["bias"] = jnp.full_like(disc["params"][last]["bias"], 50.0)
  state = state.replace(params={**state.params, "discriminator": disc})
  after, metrics = model.train_step()(jax.tree.map(jnp.copy, state), batch,
                                      jax.random.PRNGKey(0))
  assert float(metrics["disc_loss"]) / 2 > math.log(2) + model.section.margin
  assert (float(metrics["disc_updates"]), float(metrics["decoder_updates"])) == (1.0, 0.0)
  same = lambda a, b: all(np.array_equal(u, v) for u, v in zip(jax.tree.leaves(a),
                                                               jax.tree.leaves(b)))
  assert same(after.params["decoder"], state.params["decoder"])
  assert same(after.opt_states["decoder"], state.opt_states["decoder"])
  assert not same(after.params["encoder"], state.params["encoder"])
  assert not same(after.params["discriminator"], state.params["discriminator"])


def test_bounds_are_the_vaes_on_the_same_encoder_and_decoder(tiny_data_dir):
  model, state, batch = _setup(tiny_data_dir)
  vae_config = config_lib.base_config("vae")
  vae_config.model.update(hidden=(32,), latent_dim=4)
  vae = models.build(config_lib.validate(vae_config), MNIST_SPEC)
  x = model.inputs(batch, None, False)
  rng = jax.random.PRNGKey(2)
  ours = model.log_importance_weights(state, x, None, rng, 6)
  theirs = vae.log_importance_weights(vaegan._VAEParams(state), x, None, rng, 6)
  np.testing.assert_allclose(np.asarray(ours), np.asarray(theirs), rtol=1e-6)
  assert ours.shape == (6, 32) and ours.dtype == jnp.float32
  np.testing.assert_allclose(model.encode(state, x), vae.encode(vaegan._VAEParams(state), x))


def test_trains_and_resumes_exactly(tmp_path, tiny_data_dir):
  config = _config(tiny_data_dir, **{"vaegan.pixel_weight": 1.0, "train.learning_rate": 3e-3})
  straight = loop.train_and_evaluate(config, str(tmp_path / "straight"))
  h = straight.history
  assert h[-1]["train_recon"] < h[0]["train_recon"]
  assert all(0 < r[f"{s}_disc_loss"] < 10 for r in h for s in ("train", "test"))
  with pytest.raises(KeyboardInterrupt):
    loop.train_and_evaluate(config, str(tmp_path / "resumed"), on_epoch=crash_after(1))
  resumed = loop.train_and_evaluate(config, str(tmp_path / "resumed"))
  for u, v in zip(jax.tree.leaves(straight.state), jax.tree.leaves(resumed.state)):
    np.testing.assert_array_equal(u, v)
  assert {"samples", "reconstructions"} <= set(
      straight.model.summary_images(straight.state, straight.splits["test"]))


def test_bad_settings_name_the_field(tiny_data_dir):
  from ae.errors import ConfigError
  with pytest.raises(ConfigError, match="vaegan.margin"):
    _config(tiny_data_dir, **{"vaegan.margin": -1.0})
  with pytest.raises(ConfigError, match="vaegan.disc_hidden"):
    _config(tiny_data_dir, **{"vaegan.disc_hidden": ()})
