"""Every chapter binary end to end on tiny data, its metrics.json checked; bad input exits 2."""

import json
import os

import numpy as np
import pytest

from ae import io
from tests.conftest import run_binary


def _run_ok(name, workdir, *args):
  result = run_binary(name, f"--workdir={workdir}", *args)
  assert result.returncode == 0, result.stderr[-3000:]
  with open(os.path.join(workdir, "metrics.json")) as f:
    metrics = json.load(f)
  with open(os.path.join(workdir, "config.json")) as f:
    config = json.load(f)
  assert config["workdir"] == str(workdir)
  assert not [p for p in os.listdir(workdir) if p.startswith(".") and p != io.LOCK_NAME], (
      "temporary files left")
  with open(os.path.join(workdir, io.LOCK_NAME)) as f:   # the lock says who wrote the workdir
    assert json.load(f)["owner"] == name
  return metrics, config, result.stdout


def test_loss_comparison_reproduces_the_classic_numbers(tmp_path):
  metrics, config, out = _run_ok("loss_comparison", tmp_path / "a")
  assert config["w0"] == 2.0 and config["epochs"] == 300
  mse, ce = metrics["mse"], metrics["ce"]
  for m in (mse, ce):
    assert all(len(m[k]) == 301 for k in ("outputs", "losses", "w", "b"))
  assert mse["outputs"][0] == pytest.approx(0.982, abs=1e-3)
  assert mse["outputs"][150] > 0.9           # The plateau: a saturated neuron learns slowly.
  assert mse["outputs"][-1] == pytest.approx(0.20, abs=0.01)
  assert ce["outputs"][30] < 0.25            # Cross-entropy: no plateau.
  assert os.path.getsize(tmp_path / "a" / "loss_comparison.png") > 10000
  assert "mse" in out and "ce" in out
  metrics, _, _ = _run_ok("loss_comparison", tmp_path / "b", "--w0=0.6", "--b0=0.9",
                          "--losses=mse")
  assert list(metrics) == ["mse"]
  assert metrics["mse"]["outputs"][0] == pytest.approx(0.82, abs=0.005)
  assert metrics["mse"]["outputs"][-1] == pytest.approx(0.09, abs=0.01)


def test_gradient_check_passes_and_fails_on_an_impossible_tolerance(tmp_path, tiny_data_dir):
  args = (f"--data_dir={tiny_data_dir}", "--max_depth=2", "--rows=8")
  metrics, config, out = _run_ok("gradient_check", tmp_path / "ok", *args)
  assert metrics["passed"] and metrics["max_relative_error"] < 1e-10
  assert len(metrics["checks"]) == 3 * 6 * 2   # heads x activations (softplus too) x depths
  assert config["data_source"].endswith("fashion_mnist")
  assert "PASS" in out
  failing = run_binary("gradient_check", f"--workdir={tmp_path / 'bad'}", *args,
                       "--tolerance=1e-30", "--heads=gaussian", "--activations=tanh")
  assert failing.returncode == 1 and "FAIL" in failing.stdout


def test_taylor_check_orders_and_wrong_gradient(tmp_path, tiny_data_dir):
  args = (f"--data_dir={tiny_data_dir}", "--rows=16", "--width=8")
  metrics, _, out = _run_ok("taylor_check", tmp_path / "ok", *args)
  assert metrics["passed"]
  assert np.median(metrics["rates"]["R1"]) == pytest.approx(2.0, abs=0.1)
  assert np.median(metrics["rates"]["R2"]) == pytest.approx(3.0, abs=0.2)
  assert os.path.exists(tmp_path / "ok" / "taylor.png")
  wrong = run_binary("taylor_check", f"--workdir={tmp_path / 'bad'}", *args,
                     "--gradient_error=0.01")
  assert wrong.returncode == 1 and "FAIL" in wrong.stdout
  with open(tmp_path / "bad" / "metrics.json") as f:
    assert json.load(f)["rates"]["R1"][-1] == pytest.approx(1.0, abs=0.1)


def test_vanishing_gradient(tmp_path, tiny_data_dir):
  metrics, _, out = _run_ok("vanishing_gradient", tmp_path, f"--data_dir={tiny_data_dir}",
                            "--rows=64", "--depth=6")
  assert metrics["depth"] == 6
  for init in ("normal", "glorot", "he"):
    assert len(metrics["grad_norms"][init]["sigmoid"]) == 6
    assert max(metrics["act_prime_max"][init]["sigmoid"]) <= 0.25
  g = metrics["grad_norms"]["glorot"]
  assert g["sigmoid"][0] < 0.1 * g["sigmoid"][-1]       # Sigmoid's gradient vanishes...
  assert g["relu"][0] > 0.1 * g["relu"][-1]             # ...ReLU's much less.
  assert "0.25" in out


def test_likelihood_view_same_parameters(tmp_path, tiny_data_dir):
  metrics, _, _ = _run_ok("likelihood_view", tmp_path, f"--data_dir={tiny_data_dir}",
                          "--rows=128", "--components=8", "--steps=100", "--sigma_steps=200")
  assert metrics["gaussian"]["relative_param_diff_mse_vs_nll"] < 1e-3
  assert metrics["gaussian"]["relative_param_diff_nll_vs_least_squares"] < 1e-3
  assert metrics["bernoulli"]["relative_param_diff_bce_vs_nll"] < 1e-2
  lv = metrics["learned_variance"]
  assert lv["test_nll_sigma_mle_constant"] < lv["test_nll_sigma_1"]
  assert os.path.exists(tmp_path / "samples.png")


def test_descent_rules(tmp_path, tiny_data_dir):
  metrics, _, out = _run_ok("descent", tmp_path, f"--data_dir={tiny_data_dir}", "--rows=64",
                          "--max_steps=40", "--lr=20")
  g = metrics["gd_with_rules"]
  assert g["rejected"] >= 1
  # 40 steps do not meet rule 3 on this data: the run says so, with the value and the flag.
  assert g["converged"] is False and g["last_loss_change"] > g["tol"]
  assert g["fix"].endswith("after 40 steps: raise --max_steps (now 40) or --tol")
  assert "note: gd_with_rules did not converge: the last accepted step changed the loss by" in out
  assert np.all(np.diff(g["losses"]) <= 0)
  assert g["final_loss"] < g["losses"][0]
  assert len(metrics["adam"]["losses"]) == metrics["adam"]["num_steps"] + 1
  # The second-order Taylor term predicts the actual decrease better than the first alone.
  assert g["median_abs_error_second_order"] < g["median_abs_error_first_order"]
