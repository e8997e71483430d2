"""The papers' presets against the papers' own settings, the optimizers they use against numpy,
and `experiments.reproduce` end to end on tiny generated data: its table, and a kill -9 in the
middle of a protocol followed by the same command, which finishes without repeating an epoch."""

import json
import os
import signal
import subprocess
import sys
import time

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from ae import models
from ae.models import base
from ae.training import config as config_lib
from experiments import protocols
from experiments.configs.papers import burda_2015, flax_examples, kingma_2014
from experiments.configs.papers import kingma_welling_2013, makhzani_2015
from tests.conftest import ROOT, run_binary, write_dataset
from tests.conftest import MNIST_SPEC


def test_flax_examples_preset():
  c = config_lib.validate(flax_examples.get_config())
  assert (c.model.name, c.model.hidden, c.model.latent_dim, c.model.activation) == (
      "vae", (500,), 20, "relu")
  assert (c.train.batch_size, c.train.learning_rate, c.train.optimizer) == (128, 1e-3, "adam")
  assert (c.data.dataset, c.data.binarize, c.train.epochs) == ("mnist", "dynamic", 20)


def test_burda_preset_and_stages():
  c = config_lib.validate(burda_2015.get_config("iwae_k50"))
  assert (c.model.hidden, c.model.latent_dim, c.model.activation) == ((200, 200), 50, "tanh")
  assert (c.iwae.num_samples, c.iwae.objective, c.iwae.decoder_bias) == (50, "iwae", "data_mean")
  assert c.data.max_train_examples == 60000 - 400 and c.data.binarize == "dynamic"
  assert (c.train.batch_size, c.train.adam_eps, c.train.schedule) == (20, 1e-4, "burda_stages")
  assert c.train.epochs == 3280 == sum(3 ** i for i in range(8))
  assert burda_2015.stage_ends() == [1, 4, 13, 40, 121, 364, 1093, 3280]
  assert burda_2015.get_config("vae_k5").iwae.objective == "vae"
  with pytest.raises(ValueError, match="iwae_k5"):
    burda_2015.get_config("iwae5")
  # The learning rate of stage i is 1e-3 * 10^(-i/7), from the first step of each stage.
  rate = base.learning_rate_schedule(1e-3, "burda_stages", steps_per_epoch=10)
  for i, end in enumerate([0] + burda_2015.stage_ends()[:-1]):
    np.testing.assert_allclose(float(rate(jnp.asarray(end * 10))), 1e-3 * 10 ** (-i / 7),
                               rtol=1e-6)
    if end:
      np.testing.assert_allclose(float(rate(jnp.asarray(end * 10 - 1))),
                                 1e-3 * 10 ** (-(i - 1) / 7), rtol=1e-6)


def test_kingma_welling_preset():
  for size in kingma_welling_2013.LATENT_SIZES:
    c = config_lib.validate(kingma_welling_2013.get_config(str(size)))
    assert (c.model.hidden, c.model.latent_dim, c.model.activation) == ((500,), size, "tanh")
    assert (c.train.batch_size, c.train.optimizer, c.train.learning_rate) == (100, "adagrad",
                                                                              0.02)
    assert c.train.weight_decay == pytest.approx(1 / 60000)
  assert kingma_welling_2013.LATENT_SIZES == (3, 5, 10, 20, 200)
  assert kingma_welling_2013.EPOCHS * 60000 >= 1e8


def test_kingma_2014_presets():
  c = config_lib.validate(kingma_2014.get_config())
  assert (c.model.name, c.data.dataset, c.data.num_labels, c.model.latent_dim) == (
      "m2", "mnist", 100, 50)
  assert c.model.hidden == (500,)
  m1 = config_lib.validate(kingma_2014.get_config("m1"))   # nips14-ssl's M1
  assert (m1.model.name, m1.model.hidden, m1.model.latent_dim, m1.model.activation) == (
      "vae", (500, 500), 50, "softplus")
  assert (m1.train.learning_rate, m1.train.batch_size, m1.data.binarize) == (3e-4, 100, "none")
  m1m2 = kingma_2014.get_config("m1m2")
  assert (m1m2.model.hidden, m1m2.model.latent_dim, m1m2.model.likelihood) == (
      (300,), 50, "gaussian_learned")
  assert (m1m2.data.num_labels, m1m2.train.learning_rate) == (100, 3e-4)


def _one_update(config, params, grads):
  model = models.build(config_lib.validate(config), MNIST_SPEC)
  tx = model.optimizer()
  updates, _ = tx.update(grads, tx.init(params), params)
  return jax.tree.map(lambda p, u: p + u, params, updates)


def test_adagrad_with_the_weight_prior_against_numpy():
  """Two steps of optax's Adagrad on grad + weight_decay * theta, against the update written
  out: accumulator a = 0.1 + sum g^2, theta -= lr g / sqrt(a + eps)."""
  config = kingma_welling_2013.get_config("3")
  model = models.build(config_lib.validate(config), MNIST_SPEC)
  tx = model.optimizer()
  theta = np.array([0.5, -2.0, 3.0], np.float32)
  grads = [np.array([0.1, 0.2, -0.3], np.float32), np.array([-1.0, 0.5, 2.0], np.float32)]
  params, state = {"w": jnp.asarray(theta)}, None
  state = tx.init(params)
  acc, want = np.full(3, 0.1), theta.astype(np.float64)
  for g in grads:
    updates, state = tx.update({"w": jnp.asarray(g)}, state, params)
    params = {"w": params["w"] + updates["w"]}
    full = g + config.train.weight_decay * want
    acc = acc + full ** 2
    want = want - config.train.learning_rate * full / np.sqrt(acc + 1e-7)
  np.testing.assert_allclose(np.asarray(params["w"]), want, rtol=1e-5)


def test_adam_is_the_default_optimizer():
  config = flax_examples.get_config()
  params, grads = {"w": jnp.ones(3)}, {"w": jnp.asarray([1.0, -1.0, 0.5])}
  # Adam's first step moves each weight by lr * sign(g) (bias-corrected m / sqrt(v)).
  np.testing.assert_allclose(np.asarray(_one_update(config, params, grads)["w"]),
                             1 - 1e-3 * np.sign([1.0, -1.0, 0.5]), rtol=1e-5)


def test_makhzani_parzen_preset():
  c = config_lib.validate(makhzani_2015.get_config("parzen"))
  assert (c.model.name, c.model.latent_dim, c.model.hidden, c.aae.disc_hidden) == (
      "aae", 8, (1200, 1200), (1200, 1200))
  assert (c.aae.prior, c.aae.prior_scale, c.model.activation) == ("normal", 5.0, "relu")
  assert (c.train.batch_size, c.train.epochs, c.data.max_train_examples) == (100, 200, 59000)
  model = models.build(c, MNIST_SPEC)
  z = np.asarray(model.prior.sample(jax.random.PRNGKey(0), 20000))
  np.testing.assert_allclose(z.std(0), 5.0, rtol=0.03)   # N(0, 5^2 I)
  # Its log-density is N(0, 25 I)'s (scipy's closed form, written out).
  point = np.array([[1.0, -2.0, 0.5, 0.0, 3.0, -1.0, 2.0, 0.25]])
  want = -0.5 * np.sum(point ** 2) / 25 - 4 * np.log(2 * np.pi * 25)
  np.testing.assert_allclose(float(model.prior.log_density(jnp.asarray(point))[0]), want,
                             rtol=1e-5)
  with pytest.raises(Exception, match="aae.prior_scale"):
    config_lib.make("aae", **{"aae.prior": "mixture", "model.latent_dim": 2,
                              "aae.prior_scale": 5.0})


def test_protocol_names_are_the_interface():
  assert list(protocols.all_protocols()) == [
      "flax_vae", "kingma_welling_fig2", "iwae_table1", "m2_100", "m1m2_100", "aae_figure4",
      "aae_parzen", "aae_clustering_16"]
  iwae = protocols.all_protocols()["iwae_table1"].anchors
  assert {r: a.paper for r, a in iwae.items()} == {
      "vae_k1": 86.76, "vae_k5": 86.47, "vae_k50": 86.35, "iwae_k1": 86.76, "iwae_k5": 85.54,
      "iwae_k50": 84.78}
  m2 = protocols.all_protocols()["m2_100"]
  assert (m2.anchors[""].paper, m2.anchors[""].paper_std, m2.seeds) == (11.97, 1.71, 3)


def _reproduce(args, **kwargs):
  env = {k: v for k, v in os.environ.items() if k != "AE_DATA_DIR"}
  return subprocess.Popen([sys.executable, "-m", "experiments.reproduce", *args], cwd=ROOT,
                          env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          **kwargs)


def test_reproduce_end_to_end_killed_and_resumed(tmp_path):
  data_dir, workdir = str(tmp_path / "data"), str(tmp_path / "papers")
  write_dataset(os.path.join(data_dir, "mnist"), 300, 100, seed=3)
  args = [f"--workdir={workdir}", f"--data_dir={data_dir}", "--max_epochs=4", "--seeds=2",
          "--nll_samples=8", "--only=flax_vae,iwae_table1/vae_k1,iwae_table1/iwae_k1"]
  first = _reproduce(args)
  run = os.path.join(workdir, "iwae_table1", "vae_k1")
  deadline = time.time() + 300
  while not os.path.exists(os.path.join(run, "checkpoints", "2")):  # Past the first stage.
    assert first.poll() is None, first.communicate()[1][-3000:]
    assert time.time() < deadline
    time.sleep(0.05)
  first.send_signal(signal.SIGKILL)
  first.communicate()
  assert os.path.exists(os.path.join(workdir, "flax_vae", "result.json"))
  assert not os.path.exists(os.path.join(workdir, "iwae_table1", "result.json"))
  again = _reproduce(args)
  out, err = again.communicate(timeout=600)
  assert again.returncode == 0, err[-3000:]
  assert "flax_vae: finished before" in out
  epochs = [json.loads(line)["epoch"] for line in open(os.path.join(run, "metrics.jsonl"))]
  assert epochs == [1, 2, 3, 4]
  with open(os.path.join(workdir, "papers.json")) as f:
    rows = json.load(f)
  assert list(rows) == ["flax_vae/epoch1", "iwae_table1/vae_k1", "iwae_table1/iwae_k1"]
  assert rows["flax_vae/epoch1"]["paper"] == 119.74
  vae = rows["iwae_table1/vae_k1"]
  assert (vae["epochs_run"], vae["epochs_protocol"], vae["seeds"]) == (4, 3280, 1)
  assert vae["ours"] == rows["iwae_table1/iwae_k1"]["ours"]   # one model, k = 1
  assert set(vae) == {"paper", "paper_std", "ours", "ours_std", "unit", "seeds", "epochs_run",
                      "epochs_protocol", "seconds", "command"}
  assert "--only=iwae_table1/iwae_k1,iwae_table1/vae_k1" in vae["command"]
  with open(os.path.join(workdir, "iwae_table1", "stages.json")) as f:
    stages = json.load(f)
  assert [p["epoch"] for p in stages["vae_k1"]] == [1, 4]   # the boundaries within 4 epochs
  assert all(0 <= p["active_units"] <= 50 for p in stages["vae_k1"])
  # The NLL (k = 8) is at most the one-sample bound's loss on average, and positive.
  assert 0 < stages["vae_k1"][-1]["test_nll"] < stages["vae_k1"][-1]["test_elbo_loss"] + 5
  with open(os.path.join(workdir, "papers.md")) as f:
    table = f.read()
  assert "| iwae_table1/vae_k1 | 86.76 |" in table and "4 / 3280" in table
  # The finished command again: nothing is retrained.
  done = run_binary("reproduce", *args)
  assert done.returncode == 0 and done.stdout.count("finished before") == 2, done.stderr[-2000:]


def test_reproduce_refuses_an_unknown_protocol(tmp_path):
  result = run_binary("reproduce", f"--workdir={tmp_path}", "--only=flax_vae,iwae_table2")
  assert result.returncode == 2
  assert result.stderr.strip().splitlines()[0] == (
      "FATAL Flags parsing error: --only: 'iwae_table2' is not a protocol; choose from "
      "flax_vae, kingma_welling_fig2, iwae_table1, m2_100, m1m2_100, aae_figure4, "
      "aae_parzen, aae_clustering_16 (or NAME/ROW).")
  assert not os.listdir(tmp_path)   # refused before the workdir is touched


def test_readme_shows_docs_papers_json():
  """README.md's "Against the papers" tables are generated from the committed run."""
  from experiments.protocols import burda_2015 as iwae, tables
  with open(os.path.join(ROOT, "README.md")) as f:
    readme = f.read()
  with open(os.path.join(ROOT, "docs", "papers.json")) as f:
    rows = json.load(f)
  assert tables.markdown(rows) in readme, "regenerate it: python -m experiments.reproduce " \
      "--readme_from=docs/papers.json"
  if any(name.startswith("iwae_table1/") for name in rows):
    with open(os.path.join(ROOT, "docs", "iwae_stages.json")) as f:
      assert iwae.stages_markdown(json.load(f)) in readme
  for name, row in rows.items():   # every row has the interface's fields, finite numbers
    assert name.split("/")[0] in protocols.all_protocols()
    assert np.isfinite(row["ours"]) and row["epochs_run"] <= row["epochs_protocol"]
