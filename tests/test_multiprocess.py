"""Several hosts: two `experiments.train` processes on 127.0.0.1 (CPU collectives through gloo)
train to the same losses as one process with 2 simulated devices; only process 0 writes the
run's records, the checkpoints are written collectively, and the job resumes."""

import json
import os
import socket
import subprocess
import sys

import numpy as np

from tests.conftest import FAST_COMPILE, ROOT, run_binary

ONE_DEVICE = {"XLA_FLAGS": f"--xla_force_host_platform_device_count=1 {FAST_COMPILE}",
              "JAX_PLATFORMS": "cpu"}
TWO_DEVICES = {"XLA_FLAGS": f"--xla_force_host_platform_device_count=2 {FAST_COMPILE}",
               "JAX_PLATFORMS": "cpu"}


def _args(workdir, data_dir, epochs):
  return ["--config=experiments/configs/quick.py:ae", f"--config.data.data_dir={data_dir}",
          "--config.model.hidden=(32,)", f"--config.train.epochs={epochs}",
          "--config.train.batch_size=32", f"--workdir={workdir}"]


def _free_port() -> int:
  with socket.socket() as s:
    s.bind(("127.0.0.1", 0))
    return s.getsockname()[1]


def _job(workdir, data_dir, epochs):
  """Starts the two processes of one job and waits for both."""
  port = _free_port()
  env = {k: v for k, v in os.environ.items() if k != "AE_DATA_DIR"}
  env.update(ONE_DEVICE, TF_CPP_MIN_LOG_LEVEL="3")
  procs = [subprocess.Popen(
      [sys.executable, "-m", "experiments.train", *_args(workdir, data_dir, epochs),
       "--num_processes=2", f"--process_id={i}", f"--coordinator_address=127.0.0.1:{port}"],
      cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
      for i in range(2)]
  outs = [p.communicate(timeout=600) for p in procs]
  for p, (_, err) in zip(procs, outs):
    assert p.returncode == 0, err[-3000:]
  return outs


def _losses(workdir):
  rows = [json.loads(line) for line in (workdir / "metrics.jsonl").read_text().splitlines()]
  return {k: [r[k] for r in rows] for k in ("epoch", "train_loss", "test_loss", "num_devices")}


def test_two_processes_train_like_one_process_with_two_devices(tmp_path, tiny_data_dir):
  single = tmp_path / "single"
  result = run_binary("train", *_args(single, tiny_data_dir, 2), env=TWO_DEVICES)
  assert result.returncode == 0, result.stderr[-3000:]
  job = tmp_path / "job"
  outs = _job(job, tiny_data_dir, 2)
  one, two = _losses(single), _losses(job)
  assert one["epoch"] == two["epoch"] == [1, 2]        # process 0 wrote each epoch once
  assert one["num_devices"] == two["num_devices"] == [2, 2]
  for key in ("train_loss", "test_loss"):
    np.testing.assert_allclose(two[key], one[key], rtol=1e-5)
  assert "outputs in" in outs[0][0] and "outputs in" not in outs[1][0]   # 1 prints no table
  assert len([f for f in os.listdir(job) if f.startswith("events.out.tfevents")]) == 1
  assert (job / "reconstructions.png").exists() and (job / "metrics.json").exists()
  for step in ("1", "2"):   # orbax wrote collectively; process 0 recorded the checksums.
    assert (job / "checkpoints" / step / "ae_sha256.json").exists()

  # The job resumes from its collective checkpoint, like the single process.
  _job(job, tiny_data_dir, 3)
  result = run_binary("train", *_args(single, tiny_data_dir, 3), env=TWO_DEVICES)
  assert result.returncode == 0, result.stderr[-3000:]
  one, two = _losses(single), _losses(job)
  assert two["epoch"] == [1, 2, 3]
  np.testing.assert_allclose(two["train_loss"], one["train_loss"], rtol=1e-5)
