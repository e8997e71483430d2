"""The adversarial autoencoders: each update touches only its own parameters and optimizer state,
unlabelled images' labels are never read, each preset trains (falling reconstruction NLL) and
resumes exactly, and the evaluation metrics against brute force."""

import importlib

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from tests.conftest import crash_after
from ae import data, models
from ae.distributions import priors
from ae.errors import ConfigError
from ae.evaluation import adversarial as adv_eval
from ae.training import config as config_lib, loop
from tests.conftest import MNIST_SPEC

PRESETS = ("aae_normal", "aae_mixture", "aae_swiss_roll", "aae_semisupervised", "aae_clustering")


def tiny_preset(preset, data_dir, **changes):
  config = importlib.import_module(f"experiments.configs.{preset}").get_config()
  config.data.data_dir = data_dir
  config.model.hidden = (64,)
  config[config.model.name].disc_hidden = (32,)
  config.train.update(epochs=2, batch_size=32, learning_rate=3e-3, eval_batch_size=64)
  if config.model.name == "aae_cat":
    config.data.num_labels = min(config.data.num_labels, 20)
  for path, value in changes.items():
    section, field = path.split(".")
    config[section][field] = value
  return config_lib.validate(config)


def _model_state_batch(config, split):
  model = models.build(config, MNIST_SPEC)
  model.attach_training_data(split)
  state = jax.jit(model.init_state)(jax.random.PRNGKey(0))
  batch = {"image": jnp.asarray(split.images[:32]), "label": jnp.asarray(split.labels[:32])}
  return model, state, batch


def _changed(before, after) -> set:
  return {k for k in before if not all(
      np.array_equal(a, b) for a, b in zip(jax.tree.leaves(before[k]), jax.tree.leaves(after[k])))}


@pytest.mark.parametrize("preset", ["aae_mixture", "aae_semisupervised"])
def test_each_update_changes_only_its_own_parameters(tiny_data_dir, preset):
  config = tiny_preset(preset, tiny_data_dir)
  split = data.load("fashion_mnist", "train", tiny_data_dir)
  model, state, batch = _model_state_batch(config, split)
  x = model.inputs(batch, None, False)
  labels = model._labels(batch)
  rng = jax.random.PRNGKey(1)
  discs = {f"disc_{p}" for p in model.parts}
  updates = {"reconstruction": (model.recon_loss, (x, rng), {"encoder", "decoder"}),
             "discriminator": (model.disc_loss, (x, labels, rng), discs),
             "generator": (model.gen_loss, (x, labels, rng), {"encoder"})}
  if model.num_labels:
    updates["supervised"] = (model.supervised_loss, (rng,), {"encoder"})
  assert set(updates) == set(model.phases())
  update = jax.jit(model.update, static_argnums=(1, 2))   # One program a phase, not op by op.
  for phase, (loss, args, own) in updates.items():
    after, _ = update(state, phase, loss, *args)
    assert _changed(state.params, after.params) == own, phase
    assert _changed(state.opt_states, after.opt_states) == {phase}, phase


def test_generator_lr_factor_scales_only_the_generator_step(tiny_data_dir):
  """Adam's first step moves each parameter by about lr * sign(gradient), so the generator's
  first update with aae.generator_lr_factor = 0.25 moves the encoder a quarter as far, and the
  discriminator's update is unchanged."""
  split = data.load("fashion_mnist", "train", tiny_data_dir)
  moved = {}
  for factor in (1.0, 0.25):
    config = tiny_preset("aae_normal", tiny_data_dir, **{"aae.generator_lr_factor": factor})
    model, state, batch = _model_state_batch(config, split)
    x, labels, rng = model.inputs(batch, None, False), model._labels(batch), jax.random.PRNGKey(1)
    gen, _ = model.update(state, "generator", model.gen_loss, x, labels, rng)
    disc, _ = model.update(state, "discriminator", model.disc_loss, x, labels, rng)
    moved[factor] = [max(float(jnp.abs(a - b).max()) for a, b in zip(
        jax.tree.leaves(after.params[k]), jax.tree.leaves(state.params[k])))
        for after, k in ((gen, "encoder"), (disc, "disc_code"))]
  assert moved[0.25][0] == pytest.approx(0.25 * moved[1.0][0], rel=1e-3)
  assert moved[0.25][1] == moved[1.0][1]
  assert moved[1.0][0] == pytest.approx(5e-4, rel=1e-2)   # The preset's 5e-4.


def test_semisupervised_step_never_reads_the_unlabelled_labels(tiny_data_dir):
  config = tiny_preset("aae_semisupervised", tiny_data_dir)
  split = data.load("fashion_mnist", "train", tiny_data_dir)
  model, state, batch = _model_state_batch(config, split)
  step = model.train_step()
  rng = jax.random.PRNGKey(2)
  a, _ = step(jax.tree.map(jnp.copy, state), batch, rng)
  b, _ = step(state, {**batch, "label": (batch["label"] + 3) % 10}, rng)
  for u, v in zip(jax.tree.leaves(a), jax.tree.leaves(b)):
    np.testing.assert_array_equal(u, v)
  # The labelled images are the drawn ones: 20 labels, 2 per class.
  np.testing.assert_array_equal(np.bincount(model.labelled[1], minlength=10), [2] * 10)


@pytest.mark.parametrize("preset", PRESETS)
def test_each_preset_trains_and_resumes_exactly(tmp_path, tiny_data_dir, preset):
  config = tiny_preset(preset, tiny_data_dir)
  straight = loop.train_and_evaluate(config, str(tmp_path / "straight"))
  h = straight.history
  assert h[-1]["train_recon"] < h[0]["train_recon"] and h[-1]["test_recon"] < h[0]["test_recon"]
  assert all(np.isfinite(r[f"{s}_{k}"]) for r in h for s in ("train", "test")
             for k in ("disc_loss", "gen_loss"))
  with pytest.raises(KeyboardInterrupt):
    loop.train_and_evaluate(config, str(tmp_path / "resumed"), on_epoch=crash_after(1))
  resumed = loop.train_and_evaluate(config, str(tmp_path / "resumed"))
  assert resumed.history[-1] == {**h[-1], **{k: resumed.history[-1][k] for k in (
      "epoch_seconds", "train_examples_per_second")}}
  for u, v in zip(jax.tree.leaves(straight.state), jax.tree.leaves(resumed.state)):
    np.testing.assert_array_equal(u, v)
  figures = straight.model.figures(straight.state, straight.splits["test"])
  expected = ({"categories"} if preset in ("aae_semisupervised", "aae_clustering") else
              {"codes_over_prior", "manifold", "samples"})
  assert set(figures) == expected
  found = straight.model.evaluation_metrics(straight.state, straight.splits["train"],
                                            straight.splits["test"])
  keys = {"aae_normal": set(), "aae_mixture": {"label_component_agreement"},
          "aae_swiss_roll": {"label_component_agreement"},
          "aae_semisupervised": {"cluster_accuracy", "categories_used", "test_accuracy",
                             "num_labels", "label_seed"},
          "aae_clustering": {"cluster_accuracy", "categories_used"}}[preset]
  assert set(found) == keys
  for value in found.values():
    assert 0 <= value


def test_cluster_accuracy_against_brute_force():
  rng = np.random.default_rng(0)
  clusters, labels = rng.integers(0, 16, 500), rng.integers(0, 10, 500)
  correct = 0
  for c in range(16):   # Each cluster's majority label, counted by hand.
    members = labels[clusters == c]
    if members.size:
      correct += max(np.sum(members == y) for y in range(10))
  assert adv_eval.cluster_accuracy(clusters, labels, 16) == correct / 500
  assert adv_eval.cluster_accuracy(labels, labels, 10) == 1.0


@pytest.mark.parametrize("prior_name", ["mixture", "swiss_roll"])
def test_label_component_agreement_counts_codes_on_their_own_part(prior_name):
  """Codes drawn from their own label's part score about 1; from the next label's part, 0."""
  prior = priors.get(prior_name, 2)
  labels = jnp.arange(2000) % 10
  own = prior.sample_given_labels(jax.random.PRNGKey(0), labels)
  other = prior.sample_given_labels(jax.random.PRNGKey(0), (labels + 1) % 10)
  assert adv_eval.label_component_agreement(prior, own, labels) > 0.97
  assert adv_eval.label_component_agreement(prior, other, labels) < 0.03


@pytest.mark.parametrize("changes,path,message", [
    ({"aae.prior": "mixture", "model.latent_dim": 3}, "model.latent_dim", "is 2-D; set it to 2"),
    ({"aae.label_prior": True}, "aae.label_prior", "needs a prior with a part per label"),
    ({"aae.encoder": "sampled"}, "aae.encoder", "choose one of deterministic, gaussian"),
    ({"aae.adversarial_b1": 1.0}, "aae.adversarial_b1", "must lie in"),
    ({"aae.disc_hidden": ()}, "aae.disc_hidden", "positive integers"),
    ({"aae.generator_lr_factor": 0.0}, "aae.generator_lr_factor", "greater than 0"),
])
def test_bad_aae_settings_name_the_field(changes, path, message):
  with pytest.raises(ConfigError, match=message) as e:
    config_lib.make("aae", **changes)
  assert e.value.field == path


def test_bad_label_counts_name_the_field():
  with pytest.raises(ConfigError, match="multiple of 10") as e:   # the classes: the data's
    models.build(config_lib.make("aae_cat", **{"data.num_labels": 15}), MNIST_SPEC)
  assert e.value.field == "data.num_labels"
  with pytest.raises(ConfigError, match="multiple of 10 with aae_cat.num_categories=10"):
    models.build(config_lib.make("aae_cat", **{"data.num_labels": 100,
                                               "aae_cat.num_categories": 16}), MNIST_SPEC)
  with pytest.raises(ConfigError, match="num_labels"):   # Only aae_cat has the field.
    config_lib.make("vae", **{"data.num_labels": 100})
