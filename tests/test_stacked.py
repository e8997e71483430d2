"""M1+M2 (`ae.models.stacked`): M2's inputs are M1's posterior on its active units, checked
against a numpy forward pass of M1's encoder and against the moments of its samples; the active
units against a per-unit loop; the stacked model trains, resumes exactly and classifies; a
config without a usable M1 is refused naming the field."""

import jax
import numpy as np
import pytest

from ae import data
from ae.errors import ConfigError
from ae.models import stacked
from ae.training import config as config_lib
from ae.training import loop
from experiments.configs.papers import kingma_2014
from tests.conftest import crash_after, run_binary
from tests.conftest import MNIST_SPEC


@pytest.fixture(scope="module")
def m1_run(tmp_path_factory, tiny_data_dir):
  config = kingma_2014.get_config("m1")
  for path, value in {"data.data_dir": tiny_data_dir, "model.hidden": (32, 16),
                      "model.latent_dim": 6, "train.epochs": 2, "train.batch_size": 32,
                      "train.learning_rate": 3e-3}.items():
    section, field = path.split(".")
    config[section][field] = value
  workdir = str(tmp_path_factory.mktemp("m1"))
  return workdir, loop.train_and_evaluate(config_lib.validate(config), workdir)


def _m1m2_config(data_dir, m1_workdir, units, **changes):
  config = kingma_2014.get_config("m1m2")
  for path, value in {"data.data_dir": data_dir, "m1m2.m1_workdir": m1_workdir,
                      "m1m2.units": tuple(units), "model.hidden": (16,),
                      "model.latent_dim": 3, "data.num_labels": 20, "train.epochs": 3,
                      "train.batch_size": 32, "train.learning_rate": 3e-3,
                      "train.eval_batch_size": 64, **changes}.items():
    section, field = path.split(".")
    config[section][field] = value
  return config_lib.validate(config)


def _softplus(a):
  return np.logaddexp(0.0, a)


def test_active_units_against_a_loop():
  rng = np.random.default_rng(0)
  means = rng.normal(size=(500, 6)) * np.array([1.0, 0.05, 0.3, 0.0, 0.11, 0.09])
  want = [u for u in range(6) if np.std(means[:, u]) > 0.1]
  assert stacked.active_units(means) == want == [0, 2, 4]


def test_inputs_are_m1s_posterior_on_its_active_units(m1_run, tiny_data_dir):
  workdir, m1 = m1_run
  units = [0, 2, 5]
  model = stacked.M1M2(_m1m2_config(tiny_data_dir, workdir, units), MNIST_SPEC)
  images = np.asarray(m1.splits["test"].images[:5])
  x = np.asarray(data.preprocess(images), np.float64)
  layers = m1.state.params["params"]["encoder"]["mlp"]
  h = x
  for i in range(len(layers) - 1):   # softplus hidden layers, then the linear (mean, logvar)
    layer = layers[f"dense_{i}"]
    h = _softplus(h @ np.asarray(layer["kernel"], np.float64) + np.asarray(layer["bias"]))
  last = layers[f"dense_{len(layers) - 1}"]
  out = h @ np.asarray(last["kernel"], np.float64) + np.asarray(last["bias"])
  mean, logvar = out[:, :6][:, units], out[:, 6:][:, units]
  got = np.asarray(model.inputs({"image": images}, None, train=False))
  np.testing.assert_allclose(got, mean, rtol=1e-4, atol=1e-5)
  # Training draws z1 ~ N(mean, exp(logvar)): the moments of 4000 draws of the first image.
  draws = jax.jit(jax.vmap(lambda key: model.inputs({"image": images[:1]}, key, True)[0]))(
      jax.random.split(jax.random.PRNGKey(1), 4000))
  draws = np.asarray(draws, np.float64)
  sd = np.exp(0.5 * logvar[0])
  assert np.all(np.abs(draws.mean(0) - mean[0]) < 5 * sd / np.sqrt(4000))
  np.testing.assert_allclose(draws.std(0), sd, rtol=0.06)


def test_m1m2_trains_resumes_and_classifies(m1_run, tiny_data_dir, tmp_path):
  workdir, m1 = m1_run
  codes = np.asarray(model_means(m1))
  units = stacked.active_units(codes, min_std=0.0)
  config = _m1m2_config(tiny_data_dir, workdir, units)
  straight = loop.train_and_evaluate(config, str(tmp_path / "straight"))
  h = straight.history
  assert h[-1]["train_unlabelled_bound"] < h[0]["train_unlabelled_bound"]
  assert 0.0 <= h[-1]["test_accuracy"] <= 1.0
  with pytest.raises(KeyboardInterrupt):
    loop.train_and_evaluate(config, str(tmp_path / "resumed"), on_epoch=crash_after(1))
  resumed = loop.train_and_evaluate(config, str(tmp_path / "resumed"))
  for u, v in zip(jax.tree.leaves(straight.state), jax.tree.leaves(resumed.state)):
    np.testing.assert_array_equal(u, v)
  # M1 is not in M2's state: only M2's trees are trained and checkpointed.
  assert set(straight.state.params) == {"vae", "classifier"}
  first = straight.state.params["vae"]["params"]["encoder"]["mlp"]["dense_0"]["kernel"]
  assert first.shape[0] == len(units) + 10   # [z1, y] in
  found = straight.model.evaluation_metrics(straight.state, straight.splits["train"],
                                            straight.splits["test"])
  assert found["test_accuracy"] == pytest.approx(h[-1]["test_accuracy"])
  refused = run_binary("evaluate", f"--workdir={tmp_path / 'straight'}")
  assert refused.returncode == 2 and "holds an m1m2 run" in refused.stderr, refused.stderr


def model_means(result):
  fn = jax.jit(lambda im: result.model.encode(result.state, data.preprocess(im)))
  return fn(result.splits["train"].images)


def test_refusals_name_the_field(m1_run, tiny_data_dir, tmp_path):
  workdir, _ = m1_run
  with pytest.raises(ConfigError, match="m1m2.m1_workdir.*not a training run"):
    stacked.M1M2(_m1m2_config(tiny_data_dir, str(tmp_path), [0]), MNIST_SPEC)
  with pytest.raises(ConfigError, match="m1m2.units.*has 6 code units; 6 is not one"):
    stacked.M1M2(_m1m2_config(tiny_data_dir, workdir, [0, 6]), MNIST_SPEC)
  with pytest.raises(ConfigError, match="m1m2.units"):
    _m1m2_config(tiny_data_dir, workdir, [])
  with pytest.raises(ConfigError, match="model.likelihood"):
    _m1m2_config(tiny_data_dir, workdir, [0], **{"model.likelihood": "bernoulli"})
