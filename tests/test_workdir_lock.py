"""One writer per workdir, with real processes: a second train, an evaluate and another binary
on a workdir that a live train holds are refused in one sentence naming its PID (exit 2); after
kill -9 of the holder the kernel has dropped the lock and the same command resumes at once, with
each epoch once in metrics.jsonl. And `io.lock_directory` against a lock held in another
process."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from ae import io
from tests.conftest import ROOT, write_dataset


def _env():
  return {k: v for k, v in os.environ.items() if k != "AE_DATA_DIR"}


def _train_command(data_dir, workdir, epochs=12):
  return [sys.executable, "-m", "experiments.train", "--config=experiments/configs/quick.py:ae",
          f"--config.data.data_dir={data_dir}", f"--config.train.epochs={epochs}",
          "--config.train.batch_size=32", f"--workdir={workdir}"]


def _run(command):
  return subprocess.run(command, cwd=ROOT, env=_env(), capture_output=True, text=True,
                        timeout=300)


def _wait_for_checkpoint(process, workdir, timeout=120):
  deadline = time.time() + timeout
  while time.time() < deadline:
    steps = [d for d in os.listdir(os.path.join(workdir, "checkpoints"))
             if d.isdigit()] if os.path.isdir(os.path.join(workdir, "checkpoints")) else []
    if steps and os.path.exists(os.path.join(workdir, "metrics.jsonl")):
      return
    assert process.poll() is None, process.communicate()[1][-2000:]
    time.sleep(0.05)
  raise AssertionError("no checkpoint appeared")


def test_one_writer_per_workdir_and_kill_9(tmp_path):
  data_dir, workdir = str(tmp_path / "data"), str(tmp_path / "w")
  write_dataset(os.path.join(data_dir, "fashion_mnist"), 256, 128, seed=2)
  command = _train_command(data_dir, workdir)
  holder = subprocess.Popen(command, cwd=ROOT, env=_env(), stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
  try:
    _wait_for_checkpoint(holder, workdir)
    holder.send_signal(signal.SIGSTOP)   # frozen, but alive: it holds the lock
    with open(os.path.join(workdir, io.LOCK_NAME)) as f:
      said = json.load(f)
    assert said["pid"] == holder.pid and said["owner"] == "train"
    in_use = (f"--workdir: {workdir} is in use by process {holder.pid} (python -m "
              f"experiments.train); wait for it to end or stop it (kill {holder.pid}), or "
              "choose another --workdir.")
    for second in (command, [sys.executable, "-m", "experiments.evaluate",
                             f"--workdir={workdir}"]):
      result = _run(second)
      assert result.returncode == 2, result.stderr[-2000:]
      assert result.stderr.splitlines()[0] == f"FATAL Flags parsing error: {in_use}"
      assert "Traceback" not in result.stderr
  finally:
    holder.kill()   # SIGKILL: no handler runs, the kernel releases the flock
    holder.wait()
  with open(os.path.join(workdir, "metrics.jsonl")) as f:
    before = [json.loads(line)["epoch"] for line in f if line.strip()]
  started = time.time()
  result = _run(command)   # the same command, at once: no stale lock
  assert result.returncode == 0, result.stderr[-2000:]
  assert time.time() - started < 120
  with open(os.path.join(workdir, "metrics.jsonl")) as f:
    epochs = [json.loads(line)["epoch"] for line in f if line.strip()]
  assert epochs == list(range(1, 13)), epochs   # each epoch once, resumed past the kill
  assert 1 <= len(before) < 12
  # Another binary would overwrite the training run's config.json: refused.
  other = _run([sys.executable, "-m", "experiments.descent", f"--workdir={workdir}",
                f"--data_dir={data_dir}", "--rows=64"])
  assert other.returncode == 2
  assert other.stderr.splitlines()[0] == (
      f"FATAL Flags parsing error: --workdir: {workdir} holds the outputs of python -m "
      "experiments.train, which experiments.descent would overwrite; choose another "
      "--workdir.")


HOLD = """
import sys, time
from ae import io
io.lock_directory(sys.argv[1], "holder", "test")
print("held", flush=True)
time.sleep(60)
"""


def test_lock_directory_against_another_process(tmp_path):
  directory = str(tmp_path)
  holder = subprocess.Popen([sys.executable, "-c", HOLD, directory], cwd=ROOT,
                            stdout=subprocess.PIPE, text=True)
  try:
    assert holder.stdout.readline().strip() == "held"
    with pytest.raises(io.Locked) as locked:
      io.lock_directory(directory, "second", "test")
    assert locked.value.holder["pid"] == holder.pid
    assert locked.value.holder["binary"] == "holder"
  finally:
    holder.kill()
    holder.wait()
  before = io.lock_directory(directory, "second", "test")   # released by the kernel
  assert before["owner"] == "holder" and before["pid"] == holder.pid
  assert io.lock_directory(directory, "second", "test")["pid"] == os.getpid()   # re-entrant


def test_a_reader_does_not_claim_a_directory(tmp_path):
  assert io.lock_directory(str(tmp_path), "evaluate", "x", claim=False) == {}
  with open(os.path.join(str(tmp_path), io.LOCK_NAME)) as f:
    assert json.load(f)["owner"] is None
