"""The training core: every model learns, resume is exact, the step is traced once, evaluation
numbers agree with numpy, divergence stops with a clear message."""

import dataclasses
import json
import os

import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from ae import checkpoints, cli, evaluate, likelihoods, models, objectives, train
from ae.config import TrainConfig


def tiny(data_dir, **changes):
  base = TrainConfig(dataset="fashion_mnist", data_dir=data_dir, hidden=(64,), latent_dim=4,
                     epochs=3, batch_size=32, learning_rate=3e-3, eval_batch_size=50)
  return dataclasses.replace(base, **changes)


@pytest.mark.parametrize("model", ["ae", "dae", "sae", "cae"])
def test_each_model_lowers_its_loss(tmp_path, tiny_data_dir, model):
  state, history = train.train_and_evaluate(tiny(tiny_data_dir, model=model), str(tmp_path))
  assert [h["epoch"] for h in history] == [1, 2, 3]
  assert history[-1]["train_loss"] < 0.9 * history[0]["train_loss"]
  assert history[-1]["test_loss"] < history[0]["test_loss"]
  assert int(state.step) == 3 * (256 // 32)
  if model in ("sae", "cae"):
    assert history[-1]["test_penalty"] > 0
  lines = (tmp_path / "metrics.jsonl").read_text().splitlines()
  assert [json.loads(line)["epoch"] for line in lines] == [1, 2, 3]
  if model == "ae":   # TensorBoard: one scalar per metric per epoch, readable back.
    from tensorboard.backend.event_processing import event_accumulator
    events = event_accumulator.EventAccumulator(str(tmp_path))
    events.Reload()
    test_loss = events.Tensors("test_loss")
    assert [e.step for e in test_loss] == [1, 2, 3]
    from tensorboard.util import tensor_util
    assert float(tensor_util.make_ndarray(test_loss[-1].tensor_proto)) == pytest.approx(
        history[-1]["test_loss"], rel=1e-6)


def test_resume_after_a_crash_ends_like_an_uninterrupted_run(tmp_path, tiny_data_dir):
  config = tiny(tiny_data_dir, epochs=4, keep_checkpoints=2, binarize="dynamic")
  _, straight = train.train_and_evaluate(config, str(tmp_path / "straight"))

  def crash(epoch, state, row):
    if epoch == 2:
      raise KeyboardInterrupt("simulated kill after epoch 2")

  with pytest.raises(KeyboardInterrupt):
    train.train_and_evaluate(config, str(tmp_path / "resumed"), on_epoch=crash)
  mngr = checkpoints.manager(str(tmp_path / "resumed"))
  assert mngr.latest_step() == 2
  mngr.close()
  state, resumed = train.train_and_evaluate(config, str(tmp_path / "resumed"))
  assert int(state.step) == 4 * (256 // 32)
  assert [h["epoch"] for h in resumed] == [1, 2, 3, 4]
  for key in ("train_loss", "test_loss", "test_nll"):
    assert resumed[-1][key] == straight[-1][key], key
  kept = sorted(os.listdir(tmp_path / "resumed" / "checkpoints"))
  assert kept == ["3", "4"]


def test_resume_drops_metrics_of_epochs_without_a_checkpoint(tmp_path, tiny_data_dir):
  config = tiny(tiny_data_dir, epochs=2)
  train.train_and_evaluate(config, str(tmp_path))
  with open(tmp_path / "metrics.jsonl", "a") as f:   # An epoch 3 logged, never checkpointed.
    f.write(json.dumps({"epoch": 3, "train_loss": -1.0}) + "\n")
  _, history = train.train_and_evaluate(dataclasses.replace(config, epochs=3), str(tmp_path))
  assert [h["epoch"] for h in history] == [1, 2, 3] and history[-1]["train_loss"] > 0


def test_train_step_is_traced_once_per_shape(tiny_data_dir):
  config = tiny(tiny_data_dir)
  model, state = train.create_state(config)
  objective = chex.assert_max_traces(objectives.make_objective(config, model), n=1)
  step = train.make_train_step(objective)
  epoch = train.make_train_epoch(step, config.batch_size)
  images = jnp.zeros((96, 784), jnp.uint8)
  labels = jnp.zeros((96,), jnp.int32)
  for i in range(3):
    state, _ = epoch(state, images, labels, jax.random.PRNGKey(i))
  state, _ = epoch(state, images[:64], labels[:64], jax.random.PRNGKey(3))  # Same batch shape.
  assert int(state.step) == 3 * 3 + 2
  batch = {"image": images[:32], "label": labels[:32]}
  new_state, _ = step(state, batch, jax.random.PRNGKey(0))   # The step alone: jitted, donating.
  assert int(new_state.step) == 12
  assert state.params["params"]["encoder"]["mlp"]["dense_0"]["kernel"].is_deleted()
  with pytest.raises(AssertionError, match="traced > 1 times"):   # A new batch shape: a new trace.
    train.make_train_epoch(step, 16)(new_state, images, labels, jax.random.PRNGKey(0))


def test_evaluate_averages_every_example_including_the_remainder():
  config = TrainConfig(hidden=(16,), latent_dim=2)
  model, state = train.create_state(config)
  rng = np.random.default_rng(0)
  images = jnp.asarray(rng.integers(0, 256, (23, 784)), jnp.uint8)
  labels = jnp.zeros((23,), jnp.int32)
  objective = objectives.make_objective(config, model, train=False)
  metrics = train.make_evaluate(objective, batch_size=5)(state.params, images, labels,
                                                          jax.random.PRNGKey(0))
  whole, _ = objective(state.params, {"image": images, "label": labels}, jax.random.PRNGKey(0))
  assert metrics["loss"] == pytest.approx(float(whole), rel=1e-5)


def test_divergence_stops_with_a_clear_message(tmp_path, tiny_data_dir):
  config = tiny(tiny_data_dir, likelihood="gaussian", sigma=1e-30)
  with pytest.raises(cli.RunError, match="training diverged.*lower --learning_rate"):
    train.train_and_evaluate(config, str(tmp_path))
  assert not os.path.exists(tmp_path / "checkpoints" / "1")


def _knn_numpy(train_codes, train_labels, test_codes, k):
  d2 = ((test_codes[:, None, :] - train_codes[None]) ** 2).sum(-1)
  idx = np.argsort(d2, axis=1)[:, :k]
  return np.array([np.bincount(train_labels[row], minlength=10).argmax() for row in idx])


def test_knn_and_reconstruction_nll_against_numpy():
  rng = np.random.default_rng(1)
  train_codes = rng.normal(size=(300, 4)).astype(np.float32)
  train_labels = rng.integers(0, 10, 300)
  test_codes = rng.normal(size=(70, 4)).astype(np.float32)
  test_labels = rng.integers(0, 10, 70)
  acc = evaluate.knn_accuracy(jnp.asarray(train_codes), jnp.asarray(train_labels),
                              jnp.asarray(test_codes), jnp.asarray(test_labels), (1, 5))
  for k in (1, 5):
    expected = np.mean(_knn_numpy(train_codes, train_labels, test_codes, k) == test_labels)
    assert acc[k] == pytest.approx(expected, abs=1e-9)

  config = TrainConfig(hidden=(8,), latent_dim=2)
  model = models.build(config)
  params = model.init(jax.random.PRNGKey(2), jnp.zeros((1, 784)))
  images = jnp.asarray(rng.integers(0, 256, (13, 784)), jnp.uint8)
  got = evaluate.reconstruction_nll(model, params, likelihoods.get("bernoulli"), images,
                                    batch_size=4)
  logits = np.asarray(model.apply(params, jnp.asarray(images, jnp.float32) / 255)["outputs"],
                      np.float64)
  x = np.asarray(images, np.float64) / 255
  expected = np.mean(np.sum(np.logaddexp(0, logits) - x * logits, axis=1))
  assert got == pytest.approx(expected, rel=1e-5)


def test_linear_probe_separates_separable_codes():
  rng = np.random.default_rng(3)
  labels = rng.integers(0, 10, 500)
  codes = np.eye(10)[labels] * 3 + 0.1 * rng.normal(size=(500, 10))
  acc = evaluate.linear_probe(jnp.asarray(codes[:400], jnp.float32), jnp.asarray(labels[:400]),
                              jnp.asarray(codes[400:], jnp.float32), jnp.asarray(labels[400:]))
  assert acc == 1.0
  shuffled = evaluate.linear_probe(jnp.asarray(codes[:400], jnp.float32),
                                   jnp.asarray(rng.permutation(labels[:400])),
                                   jnp.asarray(codes[400:], jnp.float32),
                                   jnp.asarray(labels[400:]))
  assert shuffled < 0.4
