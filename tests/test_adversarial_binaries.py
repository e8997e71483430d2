"""The AAE end to end on tiny data: train, evaluate (label_component_agreement), the AAE-vs-VAE
figure, and the semi-supervised binary with its two baselines; bad input exits 2."""

import json

from tests.conftest import run_binary
from tests.test_train_binaries import _train

TINY = ("--config.model.hidden=(32,)", "--config.train.epochs=1")


def test_mixture_aae_train_evaluate_and_compare_with_a_vae(tmp_path, tiny_data_dir):
  aae, vae = tmp_path / "aae", tmp_path / "vae"
  _train(aae, tiny_data_dir, "--config.aae.disc_hidden=(16,)", config="aae_mixture")
  for name in ("codes_over_prior.png", "manifold.png", "samples.png", "learning_curves.png"):
    assert (aae / name).exists(), name
  rows = [json.loads(line) for line in (aae / "metrics.jsonl").read_text().splitlines()]
  assert {"train_disc_loss", "train_gen_loss", "test_disc_loss", "test_recon"} <= set(rows[-1])
  result = run_binary("evaluate", f"--workdir={aae}", "--queries=2", "--neighbours=2",
                      "--probe_steps=20")
  assert result.returncode == 0, result.stderr[-3000:]
  ev = json.loads((aae / "eval.json").read_text())
  assert 0 <= ev["label_component_agreement"] <= 1 and ev["model"] == "aae"
  _train(vae, tiny_data_dir, "--config.model.latent_dim=2", config="vae")
  out = tmp_path / "figures" / "aae_vs_vae.png"
  result = run_binary("compare_codes", f"--workdirs={aae},{vae}", f"--out={out}")
  assert result.returncode == 0, result.stderr[-3000:]
  assert out.stat().st_size > 10_000
  result = run_binary("compare_codes", f"--workdirs={aae},{tmp_path / 'nope'}", f"--out={out}")
  assert result.returncode == 2
  assert f"--workdirs: {tmp_path / 'nope'} is not a directory" in result.stderr


def test_semisupervised_binary_reports_three_methods_on_the_same_labels(tmp_path, tiny_data_dir):
  wd = tmp_path / "semi"
  result = run_binary(
      "semisupervised", f"--workdir={wd}", "--label_seeds=0,1", "--mlp_steps=20",
      "--probe_steps=20", f"--config.data.data_dir={tiny_data_dir}", "--config.data.num_labels=20",
      "--config.train.batch_size=32", *
      (f.replace("--config.", "--vae_config.") for f in TINY), *TINY)
  assert result.returncode == 0, result.stderr[-3000:]
  summary = json.loads((wd / "semisupervised.json").read_text())
  assert [d["label_seed"] for d in summary["draws"]] == [0, 1]
  for d in summary["draws"]:
    assert len(d["labelled_indices"]) == 20
    for method in ("m2", "mlp", "m1"):
      assert 0 <= d[method] <= 1
  assert summary["draws"][0]["labelled_indices"] != summary["draws"][1]["labelled_indices"]
  assert summary["model"] == "m2" and set(summary["summary"]) == {"m2", "mlp", "m1"}
  ev = json.loads((wd / "m2_seed1" / "config.json").read_text())
  assert ev["data"]["label_seed"] == 1 and ev["data"]["num_labels"] == 20
  assert "m2 - best baseline" in result.stdout
  # Choosing M2's epochs and the MLP's steps on 10 held-out labelled images (a second run).
  result = run_binary(
      "semisupervised", f"--workdir={wd}", "--label_seeds=0", "--holdout_labels=10",
      "--probe_steps=20", f"--config.data.data_dir={tiny_data_dir}", "--config.data.num_labels=20",
      "--config.train.batch_size=32", *
      (f.replace("--config.", "--vae_config.") for f in TINY), *TINY, "--config.train.epochs=2")
  assert result.returncode == 0, result.stderr[-3000:]
  draw = json.loads((wd / "semisupervised.json").read_text())["draws"][0]
  epochs = len(draw["holdout_accuracy_by_epoch"])
  assert epochs == 2 and 1 <= draw["epoch"] <= epochs
  assert draw["holdout_accuracy_by_epoch"][draw["epoch"] - 1] == max(
      draw["holdout_accuracy_by_epoch"])
  assert draw["holdout_converged"] is (draw["epoch"] < 2)   # a choice of the last epoch is not
  assert f"epoch {draw['epoch']} of 2, converged: {draw['holdout_converged']}" in result.stdout
  assert ("note: the held-out epoch choice did not converge" in result.stdout) is (
      not draw["holdout_converged"])
  rows = [json.loads(line) for line in (wd / "m2_seed0" / "metrics.jsonl").read_text().splitlines()]
  assert draw["m2"] == rows[draw["epoch"] - 1]["test_accuracy"]
  assert draw["mlp_steps"] in (100, 200, 300, 500, 1000)
  held_out = json.loads((wd / "m2_seed0_holdout10" / "config.json").read_text())
  assert held_out["data"]["label_holdout"] == 10
  result = run_binary("semisupervised", f"--workdir={wd}", "--holdout_labels=15")
  assert result.returncode == 2
  assert "--holdout_labels: 15 must be a multiple of 10 below data.num_labels" in result.stderr
  result = run_binary("semisupervised", f"--workdir={wd}", "--label_seeds=0,0")
  assert result.returncode == 2
  assert "--label_seeds: '0,0' must be distinct integers" in result.stderr
  result = run_binary("semisupervised", f"--workdir={wd}", "--config=experiments/configs/vae.py")
  assert result.returncode == 2 and "must be a semi-supervised config" in result.stderr
