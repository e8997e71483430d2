"""The training core: every model learns, resume is exact, the step is traced once, evaluation
numbers agree with numpy, divergence stops with a typed error."""

import json
import os

import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from tests.conftest import crash_after
from ae import data, models
from ae.errors import ConfigError, DivergedError
from ae.evaluation import metrics
from ae.training import checkpoints, config as config_lib, loop, sharding, step
from tests.conftest import MNIST_SPEC


def tiny(data_dir, name="ae", **changes):
  return config_lib.make(name, **{
      "data.data_dir": data_dir, "model.hidden": (64,), "model.latent_dim": 4,
      "train.epochs": 3, "train.batch_size": 32, "train.learning_rate": 3e-3,
      "train.eval_batch_size": 50, **changes})


def fake_split(n, seed=0):
  rng = np.random.default_rng(seed)
  return data.Split(rng.integers(0, 256, (n, 28, 28, 1)).astype(np.uint8),
                    np.zeros((n,), np.int32), "generated")


@pytest.mark.parametrize("name", ["ae", "dae", "sae", "cae"])
def test_each_model_lowers_its_loss(tmp_path, tiny_data_dir, name):
  result = loop.train_and_evaluate(tiny(tiny_data_dir, name), str(tmp_path))
  history = result.history
  assert [h["epoch"] for h in history] == [1, 2, 3]
  assert history[-1]["train_loss"] < 0.9 * history[0]["train_loss"]
  assert history[-1]["test_loss"] < history[0]["test_loss"]
  assert int(result.state.step) == 3 * (256 // 32)
  assert all(h["num_devices"] == len(jax.local_devices()) for h in history)
  if name in ("sae", "cae"):
    assert history[-1]["test_penalty"] > 0
  lines = (tmp_path / "metrics.jsonl").read_text().splitlines()
  assert [json.loads(line)["epoch"] for line in lines] == [1, 2, 3]
  if name == "ae":   # TensorBoard: one scalar per metric per epoch, readable back.
    from tensorboard.backend.event_processing import event_accumulator
    events = event_accumulator.EventAccumulator(str(tmp_path))
    events.Reload()
    assert {f"{s}_{m}" for s in ("train", "test") for m in result.model.metric_names} <= set(
        events.Tags()["scalars"])
    assert "reconstructions" in events.Tags()["images"]   # Written each epoch.
    assert len(events.Images("reconstructions")) == 3
    test_loss = events.Scalars("test_loss")
    assert [e.step for e in test_loss] == [1, 2, 3]
    assert test_loss[-1].value == pytest.approx(history[-1]["test_loss"], rel=1e-6)


def test_resume_after_a_crash_ends_like_an_uninterrupted_run(tmp_path, tiny_data_dir):
  config = tiny(tiny_data_dir, **{"train.epochs": 4, "train.keep_checkpoints": 2,
                                  "data.binarize": "dynamic"})
  straight = loop.train_and_evaluate(config, str(tmp_path / "straight")).history

  with pytest.raises(KeyboardInterrupt):
    loop.train_and_evaluate(config, str(tmp_path / "resumed"), on_epoch=crash_after(2))
  assert checkpoints.latest_step(str(tmp_path / "resumed")) == 2
  result = loop.train_and_evaluate(config, str(tmp_path / "resumed"))
  assert int(result.state.step) == 4 * (256 // 32)
  assert [h["epoch"] for h in result.history] == [1, 2, 3, 4]
  for key in ("train_loss", "test_loss", "test_nll"):
    assert result.history[-1][key] == straight[-1][key], key
  kept = sorted(os.listdir(tmp_path / "resumed" / "checkpoints"))
  assert kept == ["3", "4"]


def test_checkpoint_holds_the_whole_state_including_adam_moments(tmp_path, tiny_data_dir):
  config = tiny(tiny_data_dir, **{"train.epochs": 1})
  result = loop.train_and_evaluate(config, str(tmp_path))
  fresh = loop.create_state(result.model)
  mngr = checkpoints.manager(str(tmp_path))
  restored = checkpoints.restore(mngr, fresh)
  mngr.close()
  leaves = jax.tree.leaves(restored)
  expected = jax.tree.leaves(result.state)
  assert len(leaves) == len(expected) > 4
  for a, b in zip(leaves, expected):
    np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
  mu = restored.opt_state[0].mu
  assert float(jnp.abs(jax.tree.leaves(mu)[0]).sum()) > 0   # Adam's first moment came back.


def test_resume_drops_metrics_of_epochs_without_a_checkpoint(tmp_path, tiny_data_dir):
  config = tiny(tiny_data_dir, **{"train.epochs": 2})
  loop.train_and_evaluate(config, str(tmp_path))
  with open(tmp_path / "metrics.jsonl", "a") as f:   # An epoch 3 logged, never checkpointed.
    f.write(json.dumps({"epoch": 3, "train_loss": -1.0}) + "\n")
  config.train.epochs = 3
  history = loop.train_and_evaluate(config, str(tmp_path)).history
  assert [h["epoch"] for h in history] == [1, 2, 3] and history[-1]["train_loss"] > 0


def test_train_step_is_traced_once_per_shape(tiny_data_dir):
  config = tiny(tiny_data_dir)
  model = models.build(config, MNIST_SPEC)
  state = loop.create_state(model)
  loss = chex.assert_max_traces(model.loss, n=1)
  train_step = step.make_train_step(loss)
  epoch = step.make_train_epoch(train_step, 32)
  mesh = sharding.data_mesh()
  split = sharding.replicate(fake_split(96), mesh)
  for i in range(3):
    state, _ = epoch(state, split, jax.random.PRNGKey(i))
  state, _ = epoch(state, sharding.replicate(fake_split(64), mesh), jax.random.PRNGKey(3))
  assert int(state.step) == 3 * 3 + 2     # A shorter split: the same batch shape, no new trace.
  batch = {"image": split.images[:32], "label": split.labels[:32]}
  new_state, _ = train_step(state, batch, jax.random.PRNGKey(0))   # Alone: jitted, donating.
  assert int(new_state.step) == 12
  assert state.params["params"]["encoder"]["mlp"]["dense_0"]["kernel"].is_deleted()
  with pytest.raises(AssertionError, match="traced > 1 times"):   # A new batch shape: a new trace.
    step.make_train_epoch(train_step, 16)(new_state, split, jax.random.PRNGKey(0))


def test_evaluate_averages_every_example_including_the_remainder():
  config = config_lib.make("ae", **{"model.hidden": (16,), "model.latent_dim": 2})
  model = models.build(config, MNIST_SPEC)
  state = loop.create_state(model)
  split = sharding.replicate(fake_split(23), sharding.data_mesh())
  got = step.make_evaluate(model.eval_step, batch_size=5)(state, split, jax.random.PRNGKey(0))
  whole = model.eval_step(state, {"image": split.images, "label": split.labels},
                          jax.random.PRNGKey(0))
  assert got["loss"] == pytest.approx(float(whole["loss"]), rel=1e-5)


def test_divergence_stops_with_a_typed_error_before_checkpointing(tmp_path, tiny_data_dir):
  config = tiny(tiny_data_dir, **{"model.likelihood": "gaussian", "model.sigma": 1e-30})
  with pytest.raises(DivergedError, match="training diverged in epoch 1: the train loss was "
                     "not finite in 8 of its 8 steps") as err:
    loop.train_and_evaluate(config, str(tmp_path))
  assert err.value.epoch == 1
  assert not os.path.exists(tmp_path / "checkpoints" / "1")


def test_a_batch_larger_than_the_split_is_a_config_error(tmp_path, tiny_data_dir):
  with pytest.raises(ConfigError, match="more than the 256 training examples") as err:
    loop.train_and_evaluate(tiny(tiny_data_dir, **{"train.batch_size": 512}), str(tmp_path))
  assert err.value.field == "train.batch_size"


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
  acc = metrics.knn_accuracy(jnp.asarray(train_codes), jnp.asarray(train_labels),
                             jnp.asarray(test_codes), jnp.asarray(test_labels), (1, 5))
  for k in (1, 5):
    expected = np.mean(_knn_numpy(train_codes, train_labels, test_codes, k) == test_labels)
    assert acc[k] == pytest.approx(expected, abs=1e-9)

  model = models.build(config_lib.make("ae", **{"model.hidden": (8,), "model.latent_dim": 2}),
                       MNIST_SPEC)
  state = loop.create_state(model)
  images = fake_split(13, seed=2).images
  got = metrics.Evaluator(model, state, batch_size=4).reconstruction_nll(images)
  x = np.asarray(images, np.float64).reshape(13, -1) / 255
  logits = np.asarray(model.module.apply(state.params, jnp.asarray(x, jnp.float32))["outputs"],
                      np.float64)
  expected = np.mean(np.sum(np.logaddexp(0, logits) - x * logits, axis=1))
  assert got == pytest.approx(expected, rel=1e-5)


def test_linear_probe_separates_separable_codes():
  rng = np.random.default_rng(3)
  labels = rng.integers(0, 10, 500)
  codes = np.eye(10)[labels] * 3 + 0.1 * rng.normal(size=(500, 10))
  acc = metrics.linear_probe(jnp.asarray(codes[:400], jnp.float32), jnp.asarray(labels[:400]),
                             jnp.asarray(codes[400:], jnp.float32), jnp.asarray(labels[400:]))
  assert acc == 1.0
  shuffled = metrics.linear_probe(jnp.asarray(codes[:400], jnp.float32),
                                  jnp.asarray(rng.permutation(labels[:400])),
                                  jnp.asarray(codes[400:], jnp.float32),
                                  jnp.asarray(labels[400:]))
  assert shuffled < 0.4


def test_the_library_knows_no_flags():
  """Nothing under ae/ imports absl or sets environment variables."""
  root = os.path.join(os.path.dirname(os.path.dirname(__file__)), "ae")
  offenders = []
  for folder, _, files in os.walk(root):
    for name in files:
      if name.endswith(".py"):
        path = os.path.join(folder, name)
        for i, line in enumerate(open(path), 1):
          code = line.split("#")[0]
          if ("import absl" in code or "from absl" in code or "os.environ[" in code
              or "environ.setdefault" in code or "putenv" in code):
            offenders.append(f"{path}:{i}")
  assert not offenders


def test_the_import_prefetch_is_waited_for_at_exit():
  """A daemon thread still importing when Python shut down aborted runs that stopped early."""
  thread = loop.prefetch_imports()
  assert thread.name == "prefetch-imports" and not thread.daemon
  thread.join(timeout=120)
  assert not thread.is_alive()
  import sys
  assert "orbax.checkpoint" in sys.modules and "ae.evaluation.plots" in sys.modules
