"""experiments.train and experiments.evaluate end to end on tiny data; bad input exits 2."""

import json
import os
import sys

import jax.numpy as jnp
import pytest

from tests.conftest import run_binary

QUICK = ("--config.model.hidden=(32,)", "--config.train.batch_size=32",
         "--config.train.epochs=2", "--config.train.learning_rate=0.003")


def _train(workdir, data_dir, *args, config="ae"):
  """The preset's config file, then QUICK, then args (the last override wins)."""
  result = run_binary("train", f"--config=experiments/configs/{config}.py",
                      f"--workdir={workdir}", f"--config.data.data_dir={data_dir}", *QUICK, *args)
  assert result.returncode == 0, result.stderr[-3000:]
  return result


def test_train_then_evaluate_dae_latent2(tmp_path, tiny_data_dir):
  wd = tmp_path / "dae"
  out = _train(wd, tiny_data_dir, "--config.model.latent_dim=2", "--config.dae.noise=gaussian",
               "--config.dae.noise_level=0.2", config="dae")
  assert "outputs in" in out.stdout
  for name in ("config.json", "metrics.jsonl", "metrics.json", "reconstructions.png",
               "denoising.png", "latent.png", "learning_curves.png"):
    assert (wd / name).exists(), name
  config = json.loads((wd / "config.json").read_text())
  assert config["model"]["name"] == "dae" and config["model"]["latent_dim"] == 2
  assert config["model"]["hidden"] == [32] and config["train"]["seed"] == 0
  assert config["dae"] == {"noise": "gaussian", "noise_level": 0.2}
  assert set(config) == {"model", "data", "train", "dae", "workdir", "data_source",
                         "data_fingerprint", "mean_image_nll", "divergence_threshold",
                         "image_shape", "class_names"}
  assert config["image_shape"] == [28, 28, 1] and len(config["class_names"]) == 10
  assert config["workdir"] == str(wd)
  rows = [json.loads(line) for line in (wd / "metrics.jsonl").read_text().splitlines()]
  assert [r["epoch"] for r in rows] == [1, 2]
  assert {"epoch", "train_loss", "test_loss", "test_nll", "test_penalty"} <= set(rows[0])
  assert rows[0]["num_devices"] == 1
  assert json.loads((wd / "metrics.json").read_text())["test_loss"] == rows[-1]["test_loss"]
  assert sorted(os.listdir(wd / "checkpoints")) == ["1", "2"]

  result = run_binary("evaluate", f"--workdir={wd}", "--queries=3", "--neighbours=4")
  assert result.returncode == 0, result.stderr[-3000:]
  ev = json.loads((wd / "eval.json").read_text())
  for key in ("knn_accuracy_k1", "knn_accuracy_k5", "linear_probe_accuracy"):
    assert 0.0 <= ev[key] <= 1.0
  assert ev["knn_accuracy_k5"] > 0.2   # Ten bar positions: far above chance (0.1).
  assert ev["test_reconstruction_nll"] > 0 and ev["epoch"] == 2
  assert (wd / "retrieval.png").exists()


def test_preset_and_resume_with_more_epochs(tmp_path, tiny_data_dir):
  wd = tmp_path / "sae"
  _train(wd, tiny_data_dir, "--config.model.latent_dim=8", config="sae")
  assert json.loads((wd / "config.json").read_text())["sae"]["sparsity_target"] == 0.05
  result = _train(wd, tiny_data_dir, "--config.model.latent_dim=8", "--config.train.epochs=3",
                  config="sae")
  assert "resuming from the checkpoint of epoch 2" in result.stderr
  rows = [json.loads(line) for line in (wd / "metrics.jsonl").read_text().splitlines()]
  assert [r["epoch"] for r in rows] == [1, 2, 3]
  refused = run_binary("train", "--config=experiments/configs/cae.py", f"--workdir={wd}",
                       f"--config.data.data_dir={tiny_data_dir}", *QUICK)
  assert refused.returncode == 2
  assert ("holds a run with different --config.cae.contractive_weight, --config.cae.jacobian, "
          "--config.cae.num_projections, --config.model.latent_dim, --config.model.name, "
          "--config.sae.sparsity_target, --config.sae.sparsity_weight; choose a new --workdir"
          ) in refused.stderr


def test_quick_preset_takes_a_model_name(tmp_path, tiny_data_dir):
  result = run_binary("train", "--config=experiments/configs/quick.py:cae",
                      f"--config.data.data_dir={tiny_data_dir}", "--config.train.epochs=1",
                      f"--workdir={tmp_path}")
  assert result.returncode == 0, result.stderr[-3000:]
  config = json.loads((tmp_path / "config.json").read_text())
  assert config["model"]["name"] == "cae" and config["model"]["hidden"] == [64]
  assert config["cae"]["contractive_weight"] == 0.1


def test_resume_check_kills_and_resumes_to_identical_metrics(tmp_path, tiny_data_dir):
  train_args = " ".join(["--config=experiments/configs/ae.py",
                         f"--config.data.data_dir={tiny_data_dir}", *QUICK,
                         "--config.train.epochs=40"])
  result = run_binary("resume_check", f"--workdir={tmp_path}", "--kill_after=2",
                      f"--train_args={train_args}")
  assert result.returncode == 0, result.stderr[-3000:]
  metrics = json.loads((tmp_path / "metrics.json").read_text())
  assert metrics["identical"] is True
  assert metrics["killed_after_epochs_logged"] < 40
  assert metrics["resumed_from"].startswith("resuming from the checkpoint of epoch")
  assert metrics["straight"]["epoch"] == metrics["resumed"]["epoch"] == 40


def test_benchmark_alone_and_side_by_side_with_a_reference(tmp_path, tiny_data_dir):
  result = run_binary("benchmark", "--one_run=32", f"--data_dir={tiny_data_dir}", "--epochs=2")
  assert result.returncode == 0, result.stderr[-2000:]
  ours = json.loads(result.stdout.strip().splitlines()[-1])
  assert ours["steps_per_epoch"] == 256 // 32 and len(ours["epoch_s"]) == 2
  assert ours["examples_per_s"] > 0 and ours["compile_s"] > 0
  assert ours["compile_s"] < ours["startup_s"] < 120 and ours["peak_rss_mb"] > 50
  fake = tmp_path / "fake_reference.py"   # Stands in for torch: prints its JSON line.
  fake.write_text("import json, sys\nprint('noise')\n"
                  "print(json.dumps({'examples_per_s': 1000.0, 'argv': sys.argv[1:]}))\n")
  result = run_binary("benchmark", f"--workdir={tmp_path / 'cmp'}", f"--data_dir={tiny_data_dir}",
                      "--batch_sizes=32,64", "--epochs=2",
                      f"--reference_python={sys.executable}", f"--reference_script={fake}",
                      "--reference_args=--flush-denormal")
  assert result.returncode == 0, result.stderr[-2000:]
  lines = [json.loads(l) for l in result.stdout.splitlines() if l.startswith("{")]
  assert [c["batch_size"] for c in lines[:-1]] == [32, 64]
  assert lines[-1]["machine"]["cpu_count"] == os.cpu_count()   # The last line: the machine.
  metrics = json.loads((tmp_path / "cmp" / "metrics.json").read_text())
  for case in metrics["cases"]:
    assert case["reference_examples_per_s"] == 1000.0 and len(case["runs"]["ours"]) == 1
    assert case["ratio"] == pytest.approx(case["ours_examples_per_s"] / 1000.0, rel=1e-3)
    assert case["reference_flop_fraction"] == pytest.approx(
        1000.0 * metrics["train_flops_per_example"] / 1e9 / case["matmul_peak_gflops"], rel=0.01)
    assert case["runs"]["reference"][0]["argv"][-1] == "--flush-denormal"
    assert case["reference_peak_rss_mb"] > 1   # From wait4: the fake's own memory.
  assert (tmp_path / "cmp" / "benchmark.png").stat().st_size > 5000
  assert metrics["machine"]["cpu"] and isinstance(metrics["machine"]["amx_bf16"], bool)
  assert set(metrics["matmul_peak_gflops"]) == {"float32", "bfloat16"}
  # Both compute dtypes against two of the reference's modes, A B C D in one run.
  result = run_binary("benchmark", f"--workdir={tmp_path / 'modes'}", f"--data_dir={tiny_data_dir}",
                      "--batch_sizes=32", "--epochs=2", "--compute_dtypes=float32",
                      "--compute_dtypes=bfloat16", "--reference_modes=eager",
                      "--reference_modes=compile_bf16", f"--reference_python={sys.executable}",
                      f"--reference_script={fake}")
  assert result.returncode == 0, result.stderr[-2000:]
  metrics = json.loads((tmp_path / "modes" / "metrics.json").read_text())
  names = ["ours_float32", "ours_bfloat16", "reference_eager", "reference_compile_bf16"]
  assert metrics["sides"] == names
  (case,) = metrics["cases"]
  assert [r["compute_dtype"] for n in names[:2] for r in case["runs"][n]] == ["float32",
                                                                             "bfloat16"]
  assert case["runs"]["reference_eager"][0]["argv"][-2:] == ["--data-dir",
                                                            "/usr/share/datasets/fashion-mnist"]
  assert case["runs"]["reference_compile_bf16"][0]["argv"][-2:] == ["--compile", "--bf16"]
  assert case["ratios"]["ours_float32"] == 1.0
  assert case["ratios"]["reference_eager"] == pytest.approx(
      1000.0 / case["ours_float32_examples_per_s"], rel=1e-2)
  assert "ours_bfloat16 ex/s (x ours_float32)" in result.stdout


def test_benchmark_trains_the_conv_vae_with_host_looped_steps_on_cpu(tiny_data_dir):
  result = run_binary("benchmark", "--one_run=64", "--network=conv",
                      f"--data_dir={tiny_data_dir}", "--epochs=2")
  assert result.returncode == 0, result.stderr[-2000:]
  ours = json.loads(result.stdout.strip().splitlines()[-1])
  assert ours["network"] == "conv" and ours["scanned"] is False and ours["compile_s"] is None
  assert ours["steps_per_epoch"] == 256 // 64 and ours["examples_per_s"] > 0
  assert 100 < ours["loss"] < 800   # Nats per 784 gray pixels: trained, not NaN.


def test_benchmark_times_the_importance_sampled_nll_of_a_run(tmp_path, tiny_data_dir):
  wd = tmp_path / "vae"
  _train(wd, tiny_data_dir, "--config.model.latent_dim=2", "--config.train.epochs=1",
         config="vae")
  result = run_binary("benchmark", f"--nll_run={wd}", "--nll_samples=12", "--nll_batch=32",
                      "--nll_chunk=6", "--nll_rows_per_block=100", "--compute_dtypes=float32",
                      "--compute_dtypes=bfloat16")
  assert result.returncode == 0, result.stderr[-2000:]
  out, out_bf16, diff = [json.loads(l) for l in result.stdout.strip().splitlines()[-3:]]
  assert out_bf16["compute_dtype"] == "bfloat16" and diff["difference"] == "bfloat16 - float32"
  assert diff["mean_nll_difference"] == pytest.approx(
      out_bf16["test_nll_is"] - out["test_nll_is"], abs=2e-4)
  assert diff["difference_standard_error"] > 0 and diff["max_abs_image_difference"] > 0
  assert 0 < out["mc_standard_error"] < 1 and diff["mc_standard_errors"][0] == out[
      "mc_standard_error"]
  assert (out["k"], out["test_examples"], out["batch"], out["chunk"]) == (12, 128, 32, 6)
  assert out["rows_per_block"] == 3 * 32   # 3 divides 6, and 3 x 32 rows fit in 100.
  from ae.evaluation import likelihood
  from ae.training import loop
  config, model, state = loop.restore_run(str(wd))
  test = loop.load_splits(config)["test"]
  expected = likelihood.importance_sampled_nll(model, state, test, 12, 32, 6).mean()
  assert out["test_nll_is"] == pytest.approx(expected, abs=2e-3) and out["seconds"] >= 0
  assert out["compute_dtype"] == "float32"
  _, bf16_model, _ = loop.restore_run(str(wd), compute_dtype="bfloat16")
  assert bf16_model.dtype == jnp.bfloat16 and model.dtype is None
  bf16 = likelihood.importance_sampled_nll(bf16_model, state, test, 12, 32, 6)
  assert float(bf16.mean()) == pytest.approx(float(expected), rel=0.01)
  assert float(bf16.mean()) != float(expected)
  bad = run_binary("benchmark", f"--nll_run={wd}", "--nll_rows_per_block=0")
  assert bad.returncode == 2
  assert "--nll_rows_per_block must be a finite number, positive" in bad.stderr


def test_report_tabulates_runs_with_each_familys_metrics(tmp_path):
  for name, model, evaluated in (("a", "ae", True), ("b", "dae", False)):
    run = tmp_path / name
    run.mkdir()
    (run / "config.json").write_text(json.dumps({"model": {"name": model, "latent_dim": 2}}))
    (run / "metrics.json").write_text(json.dumps({
        "epoch": 3, "test_loss": 251.04, "test_nll": 250.04, "test_penalty": 1.0,
        "train_examples_per_second": 1234.4}))
    if evaluated:
      (run / "eval.json").write_text(json.dumps({
          "test_reconstruction_nll": 251.0, "knn_accuracy_k1": 0.5, "knn_accuracy_k5": 0.625,
          "linear_probe_accuracy": 0.75}))
  (tmp_path / "not_a_run").mkdir()
  result = run_binary("report", f"--root={tmp_path}")
  assert result.returncode == 0, result.stderr
  lines = result.stdout.strip().splitlines()
  assert len(lines) == 4
  assert lines[0] == ("| run | model | latent | epochs | test loss | test nll | test penalty | "
                      "test recon. NLL, clean input | test NLL, importance-sampled | "
                      "IS samples k | kNN k=1 | kNN k=5 | linear probe | train ex/s, last epoch |")
  assert lines[2] == ("| a | ae | 2 | 3 | 251.0 | 250.0 | 1.0 | 251.0 | - | - | 0.5000 | 0.6250 | "
                      "0.7500 | 1234 |")
  assert lines[3] == "| b | dae | 2 | 3 | 251.0 | 250.0 | 1.0 | - | - | - | - | - | - | 1234 |"
  empty = run_binary("report", f"--root={tmp_path / 'not_a_run'}")
  assert empty.returncode == 2 and "holds no training runs" in empty.stderr


def test_cvae_latent2_end_to_end_with_the_importance_sampled_nll(tmp_path, tiny_data_dir):
  wd = tmp_path / "cvae"
  _train(wd, tiny_data_dir, "--config.model.latent_dim=2", config="cvae")
  for name in ("reconstructions", "latent", "learning_curves", "samples", "interpolation",
               "manifold", "analogies", "analogies_random"):
    assert (wd / f"{name}.png").stat().st_size > 5000, name
  rows = [json.loads(line) for line in (wd / "metrics.jsonl").read_text().splitlines()]
  assert {"test_elbo", "test_iw_bound", "test_recon", "test_kl"} <= set(rows[-1])
  result = run_binary("evaluate", f"--workdir={wd}", "--num_importance_samples=1,10,50",
                      "--importance_chunk=16", "--manifold_grid=uniform")
  assert result.returncode == 0, result.stderr[-3000:]
  ev = json.loads((wd / "eval.json").read_text())
  assert ev["num_importance_samples"] == 50 and set(ev["test_nll_is_by_k"]) == {"1", "10", "50"}
  by_k = ev["test_nll_is_by_k"]
  assert ev["test_elbo"] < 0 and ev["test_nll_is"] == by_k["50"]
  assert by_k["50"] < by_k["10"] < by_k["1"]          # The bound tightens as k grows.
  assert abs(by_k["1"] + ev["test_elbo"]) < 2.0         # k = 1 estimates the (negative) ELBO.


def test_report_shows_the_aae_columns_only_when_a_run_has_them(tmp_path):
  run = tmp_path / "mix"
  run.mkdir()
  (run / "config.json").write_text(json.dumps({"model": {"name": "aae", "latent_dim": 2}}))
  (run / "metrics.json").write_text(json.dumps({
      "epoch": 2, "test_loss": 300.0, "test_recon": 298.0, "test_disc_loss": 1.3,
      "test_gen_loss": 0.7, "train_examples_per_second": 100.0}))
  (run / "eval.json").write_text(json.dumps({"label_component_agreement": 0.8125}))
  result = run_binary("report", f"--root={tmp_path}")
  assert result.returncode == 0, result.stderr
  header, _, row = result.stdout.strip().splitlines()
  assert header.endswith("| linear probe | label-part agreement | train ex/s, last epoch |")
  assert "test disc_loss | test gen_loss" in header and "cluster accuracy" not in header
  assert row.endswith("| 0.8125 | 100 |")


def test_compilation_cache_directory_on_off_and_unwritable(tmp_path, monkeypatch, capsys):
  import jax
  from experiments import cli
  before = jax.config.jax_compilation_cache_dir
  try:
    monkeypatch.setenv("JAX_COMPILATION_CACHE_DIR", str(tmp_path / "cache"))
    assert cli.use_compilation_cache() == str(tmp_path / "cache")
    assert jax.config.jax_compilation_cache_dir == str(tmp_path / "cache")
    assert (tmp_path / "cache").is_dir()
    monkeypatch.setenv("JAX_COMPILATION_CACHE_DIR", "/proc/no-cache-here")
    assert cli.use_compilation_cache() is None
    assert jax.config.jax_compilation_cache_dir is None
    assert ("the compilation cache /proc/no-cache-here cannot be written"
            in capsys.readouterr().err)
    monkeypatch.setenv("AE_COMPILATION_CACHE", "0")
    assert cli.use_compilation_cache() is None
  finally:
    jax.config.update("jax_compilation_cache_dir", before)
