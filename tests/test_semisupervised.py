"""M2's label marginalization against a brute-force sum, the labelled draw, the baselines, and
M2 training and resuming exactly."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy.special import logsumexp

from tests.conftest import crash_after
from ae import data, models
from ae.errors import ConfigError
from ae.evaluation import semisupervised
from ae.training import config as config_lib, loop
from tests.conftest import MNIST_SPEC


def tiny_m2(data_dir=None, **changes):
  """The semisupervised.py preset (M2), shrunk."""
  from experiments.configs import semisupervised as preset
  config = preset.get_config()
  for path, value in {"data.data_dir": data_dir, "model.hidden": (16,), "model.latent_dim": 3,
                      "data.num_labels": 20, "train.epochs": 2, "train.batch_size": 32,
                      "train.learning_rate": 3e-3, "train.eval_batch_size": 64,
                      **changes}.items():
    section, field = path.split(".")
    config[section][field] = value
  return config_lib.validate(config)


def _model_and_params(config, seed=0):
  model = models.build(config, MNIST_SPEC)
  rng = np.random.default_rng(seed)
  model.labelled = (rng.integers(0, 256, (20, 28, 28, 1)).astype(np.uint8),
                    np.repeat(np.arange(10), 2))
  return model, model.init_params(jax.random.PRNGKey(seed))


@pytest.mark.parametrize("shared", [False, True])
def test_marginalization_equals_a_brute_force_sum_over_labels(x64, shared):
  model, params = _model_and_params(tiny_m2(**{"m2.shared_layer": shared}))
  params = jax.tree.map(lambda a: a.astype(jnp.float64), params)
  rng = np.random.default_rng(1)
  x = jnp.asarray(rng.random((5, 784)))
  eps = jnp.asarray(rng.normal(size=(5, 3)))
  u, recon, kl = model.unlabelled_bound(params, x, eps)
  q = np.exp(np.asarray(model.class_log_probs(params, x)))
  by_label = np.stack([np.asarray(model.neg_elbo(params, x, jnp.full((5,), y), eps)[0])
                       for y in range(10)], 1)                         # [B, 10], one y at a time
  entropy = -np.sum(q * np.log(q), 1)
  np.testing.assert_allclose(u, np.sum(q * by_label, 1) - entropy, rtol=1e-10)
  recon_by_label = np.stack([np.asarray(model.neg_elbo(params, x, jnp.full((5,), y), eps)[1])
                             for y in range(10)], 1)
  np.testing.assert_allclose(recon, np.sum(q * recon_by_label, 1), rtol=1e-10)
  # The variational principle: U >= -log sum_y exp(-L(x, y)), with equality at q = softmax(-L).
  exact = -logsumexp(-by_label, axis=1)
  assert np.all(np.asarray(u) >= exact - 1e-9)
  best_q = np.exp(-by_label - logsumexp(-by_label, axis=1, keepdims=True))
  np.testing.assert_allclose(np.sum(best_q * by_label, 1) + np.sum(best_q * np.log(best_q), 1),
                             exact, rtol=1e-10)


def test_the_training_batch_labels_are_never_read():
  model, params = _model_and_params(tiny_m2())
  rng = np.random.default_rng(2)
  batch = {"image": jnp.asarray(rng.integers(0, 256, (8, 28, 28, 1)).astype(np.uint8)),
           "label": jnp.arange(8) % 10}
  key = jax.random.PRNGKey(3)
  a = jax.grad(lambda p: model.loss(p, batch, key)[0])(params)
  b = jax.grad(lambda p: model.loss(p, {**batch, "label": (batch["label"] + 5) % 10}, key)[0])(
      params)
  for u, v in zip(jax.tree.leaves(a), jax.tree.leaves(b)):
    np.testing.assert_array_equal(u, v)


def test_labelled_indices_are_balanced_seeded_and_checked():
  labels = np.repeat(np.arange(10), 50)
  np.random.default_rng(0).shuffle(labels)
  a = data.labelled_indices(labels, 100, seed=0)
  assert np.array_equal(np.bincount(labels[a], minlength=10), [10] * 10)
  assert np.array_equal(a, data.labelled_indices(labels, 100, seed=0))
  assert not np.array_equal(a, data.labelled_indices(labels, 100, seed=1))
  assert len(set(a.tolist())) == 100
  with pytest.raises(ConfigError, match="fewer than the 60 labelled ones"):
    data.labelled_indices(labels, 600, seed=0)


def test_holdout_takes_the_last_of_each_class_and_the_model_never_sees_them():
  labels = np.repeat(np.arange(10), 50)
  np.random.default_rng(0).shuffle(labels)
  idx = data.labelled_indices(labels, 100, seed=0)
  kept, held = data.split_holdout(idx, labels, 20)
  assert len(kept) == 80 and len(held) == 20 and set(kept) | set(held) == set(idx)
  assert np.array_equal(np.bincount(labels[held], minlength=10), [2] * 10)
  for c in range(10):   # The two largest indices of each class.
    assert np.array_equal(np.sort(held[labels[held] == c]), np.sort(idx[labels[idx] == c])[-2:])
  split = data.Split(np.arange(500, dtype=np.uint8)[:, None, None, None], labels, "t")
  images, found = data.labelled_subset(split, 100, 0, holdout=20)
  np.testing.assert_array_equal(images[:, 0, 0, 0], kept.astype(np.uint8))
  np.testing.assert_array_equal(found, labels[kept])
  assert data.split_holdout(idx, labels, 0)[1].size == 0
  with pytest.raises(ConfigError, match="multiple of 10 below data.num_labels") as e:
    models.build(tiny_m2(**{"data.label_holdout": 20}), MNIST_SPEC)   # it draws 20 labels
  assert e.value.field == "data.label_holdout"


def test_summary_is_mean_and_sample_std():
  s = semisupervised.summary([0.7, 0.8, 0.9])
  assert s["mean"] == pytest.approx(0.8) and s["std"] == pytest.approx(0.1)
  assert semisupervised.summary([0.5])["std"] == 0.0


def test_mlp_baseline_learns_separable_classes(tiny_data_dir):
  train = data.load("mnist", "train", tiny_data_dir)
  test = data.load("mnist", "test", tiny_data_dir)
  idx = data.labelled_indices(train.labels, 50, seed=0)   # Bars at ten heights: easy.
  acc = semisupervised.mlp_accuracy(train.images[idx], train.labels[idx], test.images,
                                    test.labels, (32,), steps=100)
  assert acc > 0.9


def test_m2_trains_and_resumes_exactly(tmp_path, tiny_data_dir):
  config = tiny_m2(tiny_data_dir)
  straight = loop.train_and_evaluate(config, str(tmp_path / "straight"))
  h = straight.history
  assert h[-1]["train_unlabelled_bound"] < h[0]["train_unlabelled_bound"]
  assert h[-1]["test_recon"] < h[0]["test_recon"]
  assert h[-1]["test_accuracy"] > 0.5   # Ten bar heights, two labels each.
  with pytest.raises(KeyboardInterrupt):
    loop.train_and_evaluate(config, str(tmp_path / "resumed"), on_epoch=crash_after(1))
  resumed = loop.train_and_evaluate(config, str(tmp_path / "resumed"))
  for u, v in zip(jax.tree.leaves(straight.state), jax.tree.leaves(resumed.state)):
    np.testing.assert_array_equal(u, v)
  found = straight.model.evaluation_metrics(straight.state, straight.splits["train"],
                                            straight.splits["test"])
  assert found["test_accuracy"] == pytest.approx(h[-1]["test_accuracy"])
  assert set(straight.model.figures(straight.state, straight.splits["test"])) == {
      "conditional_samples"}


def test_shared_layer_classifier_is_the_encoders_image_part(x64):
  """m2.shared_layer: q(y | x) = softmax(head(relu(W_x x + b))) with W_x, b the encoder's first
  layer (numpy), and the cross-entropy's gradient reaches W_x but not the label rows W_y."""
  model, params = _model_and_params(tiny_m2(**{"m2.shared_layer": True}))
  params = jax.tree.map(lambda a: a.astype(jnp.float64), params)
  x = np.random.default_rng(4).random((6, 784))
  first = params["vae"]["params"]["encoder"]["mlp"]["dense_0"]
  kernel, bias = np.asarray(first["kernel"]), np.asarray(first["bias"])
  assert kernel.shape == (784 + 10, 16)
  head = params["classifier"]["params"]["dense_0"]
  logits = np.maximum(x @ kernel[:784] + bias, 0) @ np.asarray(head["kernel"]) + np.asarray(
      head["bias"])
  expected = logits - logsumexp(logits, axis=1, keepdims=True)
  np.testing.assert_allclose(model.class_log_probs(params, jnp.asarray(x)), expected, rtol=1e-12)
  y = jnp.arange(6) % 10
  grads = jax.grad(lambda p: jnp.sum(model.class_log_probs(p, jnp.asarray(x))[jnp.arange(6), y]))(
      params)
  g = np.asarray(grads["vae"]["params"]["encoder"]["mlp"]["dense_0"]["kernel"])
  assert np.abs(g[:784]).max() > 0 and np.all(g[784:] == 0)
  assert all(np.all(np.asarray(v) == 0) for v in jax.tree.leaves(grads["vae"]["params"]["decoder"]))
  # The marginalization still equals the brute-force sum with the shared layer.
  eps = jnp.asarray(np.random.default_rng(5).normal(size=(6, 3)))
  u = model.unlabelled_bound(params, jnp.asarray(x), eps)[0]
  q = np.exp(expected)
  by_label = np.stack([np.asarray(model.neg_elbo(params, jnp.asarray(x), jnp.full((6,), c),
                                                 eps)[0]) for c in range(10)], 1)
  np.testing.assert_allclose(u, np.sum(q * by_label, 1) + np.sum(q * expected, 1), rtol=1e-10)

