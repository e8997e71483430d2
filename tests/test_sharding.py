"""Data parallelism: a short run on 4 simulated CPU devices follows the 1-device run's loss
trajectory to float tolerance, with one trace and no host transfer inside the epoch."""

import json
import os
import subprocess
import sys

import numpy as np

from tests.conftest import FAST_COMPILE, ROOT, run_binary

FOUR_DEVICES = {"XLA_FLAGS": f"--xla_force_host_platform_device_count=4 {FAST_COMPILE}",
                "JAX_PLATFORMS": "cpu"}


def test_four_devices_train_like_one(tmp_path, tiny_data_dir):
  env = {**os.environ, **FOUR_DEVICES, "TF_CPP_MIN_LOG_LEVEL": "3"}
  result = subprocess.run([sys.executable, os.path.join(ROOT, "tests", "sharded_run.py"),
                           tiny_data_dir, str(tmp_path)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600)
  assert result.returncode == 0, result.stderr[-3000:]
  out = json.loads(result.stdout.strip().splitlines()[-1])
  assert out["one"]["num_devices"] == [1, 1, 1] and out["four"]["num_devices"] == [4, 4, 4]
  for key in ("train_loss", "test_loss"):
    np.testing.assert_allclose(out["four"][key], out["one"][key], rtol=1e-5)
  assert out["one"]["train_loss"][-1] < out["one"]["train_loss"][0]
  assert out["four"]["param_sharding"] == out["state_sharding"] == "P()"
  assert out["guarded_epochs"] == 3 and out["gradient_all_reduce"]
  assert out["indivisible"]["field"] == "train.batch_size"
  assert "30 cannot be split evenly over the 4 devices" in out["indivisible"]["message"]


def test_a_batch_the_devices_do_not_divide_exits_2(tmp_path, tiny_data_dir):
  result = run_binary("train", "--config=experiments/configs/quick.py",
                      f"--config.data.data_dir={tiny_data_dir}", "--config.train.batch_size=30",
                      f"--workdir={tmp_path}", env=FOUR_DEVICES)
  assert result.returncode == 2
  assert ("--config.train.batch_size: 30 cannot be split evenly over the 4 devices; use a "
          "multiple of 4 (such as 28 or 32).") in result.stderr
  assert "Traceback" not in result.stderr
