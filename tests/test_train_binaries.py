"""experiments.train and experiments.evaluate end to end on tiny data; bad input exits 2."""

import json
import os
import sys

import pytest

from tests.conftest import run_binary

QUICK = ("--hidden=32", "--batch_size=32", "--epochs=2", "--learning_rate=0.003")


def _train(workdir, data_dir, *args, preset=()):
  """Flags in the order absl applies them: preset file, then QUICK, then args (last wins)."""
  result = run_binary("train", f"--workdir={workdir}", f"--data_dir={data_dir}", *preset, *QUICK,
                      *args)
  assert result.returncode == 0, result.stderr[-3000:]
  return result


def test_train_then_evaluate_dae_latent2(tmp_path, tiny_data_dir):
  wd = tmp_path / "dae"
  out = _train(wd, tiny_data_dir, "--model=dae", "--latent_dim=2", "--noise=gaussian",
               "--noise_level=0.2")
  assert "outputs in" in out.stdout
  for name in ("config.json", "metrics.jsonl", "metrics.json", "reconstructions.png",
               "denoising.png", "latent.png", "learning_curves.png"):
    assert (wd / name).exists(), name
  config = json.loads((wd / "config.json").read_text())
  assert config["model"] == "dae" and config["latent_dim"] == 2 and config["hidden"] == [32]
  assert config["noise"] == "gaussian" and config["seed"] == 0
  assert config["workdir"] == str(wd)
  rows = [json.loads(line) for line in (wd / "metrics.jsonl").read_text().splitlines()]
  assert [r["epoch"] for r in rows] == [1, 2]
  assert {"epoch", "train_loss", "test_loss"} <= set(rows[0])
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


def test_flagfile_preset_and_resume_with_more_epochs(tmp_path, tiny_data_dir):
  wd = tmp_path / "sae"
  flagfile = os.path.join("experiments", "flagfiles", "sae.cfg")
  _train(wd, tiny_data_dir, "--latent_dim=8", preset=[f"--flagfile={flagfile}"])
  assert json.loads((wd / "config.json").read_text())["sparsity_target"] == 0.05
  result = _train(wd, tiny_data_dir, "--latent_dim=8", "--epochs=3",
                  preset=[f"--flagfile={flagfile}"])
  assert "resuming from the checkpoint of epoch 2" in result.stderr
  rows = [json.loads(line) for line in (wd / "metrics.jsonl").read_text().splitlines()]
  assert [r["epoch"] for r in rows] == [1, 2, 3]
  refused = run_binary("train", f"--workdir={wd}", f"--data_dir={tiny_data_dir}", *QUICK,
                       "--model=cae")
  assert refused.returncode == 2 and "holds a run with different --latent_dim, --model" in refused.stderr


@pytest.mark.parametrize("args,message", [
    (["--model=vae"], "--model: 'vae' does not exist; choose one of ae, dae, sae, cae."),
    (["--dataset=cifar10"], "--dataset"),
    (["--likelihood=poisson"], "--likelihood: 'poisson' does not exist"),
    (["--latent_dim=0"], "--latent_dim: must be at least 1, not 0."),
    (["--hidden=64,x"], "--hidden: widths must be integers"),
    (["--batch_size=1000"], "fewer than --batch_size=1000"),
    (["--likelihood=gaussian", "--sigma=1e-30", "--epochs=1", "--hidden=16"],
     "training diverged: the train loss became"),
])
def test_train_bad_input_exits_2(tmp_path, tiny_data_dir, args, message):
  result = run_binary("train", f"--workdir={tmp_path / 'w'}", f"--data_dir={tiny_data_dir}",
                      *args)
  assert result.returncode == 2, result.stderr[-2000:]
  assert message in result.stderr
  assert "Traceback" not in result.stderr


def test_a_diverged_run_does_not_block_its_workdir(tmp_path, tiny_data_dir):
  wd = tmp_path / "w"
  failed = run_binary("train", f"--workdir={wd}", f"--data_dir={tiny_data_dir}", *QUICK,
                      "--likelihood=gaussian", "--sigma=1e-30")
  assert failed.returncode == 2 and "--sigma=1e-30" in failed.stderr
  _train(wd, tiny_data_dir, "--likelihood=gaussian", "--sigma=0.5")   # No checkpoint: allowed.


def test_corrupt_checkpoint_is_one_sentence_for_evaluate_and_resume(tmp_path, tiny_data_dir):
  wd = tmp_path / "run"
  _train(wd, tiny_data_dir, "--epochs=1")
  files = [p for p in (wd / "checkpoints" / "1").rglob("*") if p.is_file()
           and p.stat().st_size > 1000]
  assert files
  for path in files:   # Truncate every data file, as a full disk or a bad copy would.
    path.write_bytes(path.read_bytes()[:100])
  for result in (run_binary("evaluate", f"--workdir={wd}"),
                 run_binary("train", f"--workdir={wd}", f"--data_dir={tiny_data_dir}", *QUICK)):
    assert result.returncode == 2, result.stderr[-2000:]
    assert f"the checkpoint {wd / 'checkpoints' / '1'} cannot be read" in result.stderr
    assert "delete that directory" in result.stderr and "Traceback" not in result.stderr


def test_train_unwritable_workdir_and_evaluate_without_a_run(tmp_path, tiny_data_dir):
  blocker = tmp_path / "file"
  blocker.write_text("")
  result = run_binary("train", f"--workdir={blocker}/run", f"--data_dir={tiny_data_dir}")
  assert result.returncode == 2 and "--workdir" in result.stderr
  empty = tmp_path / "empty"
  empty.mkdir()
  result = run_binary("evaluate", f"--workdir={empty}")
  assert result.returncode == 2 and "train first" in result.stderr
  assert "Traceback" not in result.stderr


def test_resume_check_kills_and_resumes_to_identical_metrics(tmp_path, tiny_data_dir):
  train_args = ",".join([f"--data_dir={tiny_data_dir}", *QUICK, "--epochs=40"])
  result = run_binary("resume_check", f"--workdir={tmp_path}", "--kill_after=2",
                      f"--train_args={train_args}")
  assert result.returncode == 0, result.stderr[-3000:]
  metrics = json.loads((tmp_path / "metrics.json").read_text())
  assert metrics["identical"] is True
  assert metrics["killed_after_epochs_logged"] < 40
  assert metrics["resumed_from"].startswith("resuming from the checkpoint of epoch")
  assert metrics["straight"]["epoch"] == metrics["resumed"]["epoch"] == 40


def test_demo_rejects_unknown_step(tmp_path):
  result = run_binary("demo", f"--workdir={tmp_path}", "--only=loss_comparison,nope")
  assert result.returncode == 2 and "--only: unknown step nope" in result.stderr


def test_benchmark_alone_and_side_by_side_with_a_reference(tmp_path, tiny_data_dir):
  result = run_binary("benchmark", f"--data_dir={tiny_data_dir}", "--batch_size=32",
                      "--epochs=2")
  assert result.returncode == 0, result.stderr[-2000:]
  ours = json.loads(result.stdout.strip().splitlines()[-1])
  assert ours["steps_per_epoch"] == 256 // 32 and len(ours["epoch_s"]) == 2
  assert ours["examples_per_s"] > 0
  fake = tmp_path / "fake_reference.py"   # Stands in for torch: prints its JSON line.
  fake.write_text("import json, sys\nprint('noise')\n"
                  "print(json.dumps({'examples_per_s': 1000.0, 'argv': sys.argv[1:]}))\n")
  result = run_binary("benchmark", f"--workdir={tmp_path / 'cmp'}", f"--data_dir={tiny_data_dir}",
                      "--batch_size=32", "--epochs=2", "--repeats=2",
                      f"--reference_python={sys.executable}", f"--reference_script={fake}",
                      "--reference_args=--flush-denormal")
  assert result.returncode == 0, result.stderr[-2000:]
  metrics = json.loads((tmp_path / "cmp" / "metrics.json").read_text())
  assert metrics["reference_examples_per_s"] == [1000.0, 1000.0]
  assert len(metrics["ours_examples_per_s"]) == 2
  assert metrics["speedup"] == pytest.approx(metrics["ours_median"] / 1000.0, rel=1e-3)
  assert metrics["runs"]["reference"][0]["argv"][-1] == "--flush-denormal"


def test_report_tabulates_runs(tmp_path):
  for name, model, evaluated in (("a", "ae", True), ("b", "dae", False)):
    run = tmp_path / name
    run.mkdir()
    (run / "config.json").write_text(json.dumps({"model": model, "latent_dim": 2}))
    (run / "metrics.json").write_text(json.dumps({"epoch": 3, "test_nll": 250.04,
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
  assert lines[2] == "| a | ae | 2 | 3 | 250.0 | 251.0 | 0.5000 | 0.6250 | 0.7500 | 1234 |"
  assert lines[3] == "| b | dae | 2 | 3 | 250.0 | - | - | - | - | 1234 |"
  empty = run_binary("report", f"--root={tmp_path / 'not_a_run'}")
  assert empty.returncode == 2 and "holds no training runs" in empty.stderr
