"""Signals, with real processes: a SIGTERM during a long compiled computation (where Python's
handler cannot run) ends the run within seconds in one sentence (cli's watchdog); a job
interrupted while it waits for its peers ends at once; a busy coordinator port is refused
before JAX starts. (A signal during start-up and a job whose peer never comes are rows of
tests/bad_inputs.py.)"""

import os
import signal
import socket
import subprocess
import sys
import time

import pytest

from tests.conftest import ROOT

LONG_COMPUTATION = """
import jax, jax.numpy as jnp
from experiments import cli
cli.FIXES["resume"] = lambda: "the test's own fix"

def main(argv):
  @jax.jit
  def spin(x):   # about a minute of one compiled loop: no Python runs until it returns
    return jax.lax.fori_loop(0, 400_000_000, lambda i, v: v * 1.0000001 + 1e-9, x)
  print("computing", flush=True)
  spin(jnp.ones(())).block_until_ready()
  print("finished", flush=True)

cli.run(main)
"""


def _env():
  return {k: v for k, v in os.environ.items() if k != "AE_DATA_DIR"}


def test_sigterm_during_a_long_compiled_computation_ends_within_seconds():
  p = subprocess.Popen([sys.executable, "-c", LONG_COMPUTATION], cwd=ROOT, env=_env(),
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
  assert p.stdout.readline().strip() == "computing"
  time.sleep(1.0)
  sent = time.monotonic()
  p.send_signal(signal.SIGTERM)
  out, err = p.communicate(timeout=60)
  took = time.monotonic() - sent
  assert p.returncode == 2, err[-2000:]
  assert "finished" not in out and "Traceback" not in err
  assert err.strip().splitlines() == ["error: interrupted by SIGTERM; the test's own fix."]
  assert took < 15, took   # the watchdog's grace is 5 s; a pod's preemption notice is ~30 s


def _free_port() -> int:
  with socket.socket() as s:
    s.bind(("127.0.0.1", 0))
    return s.getsockname()[1]


def _job_process(tmp_path, tiny_data_dir, index, port, *extra):
  return subprocess.Popen(
      [sys.executable, "-m", "experiments.train", "--config=experiments/configs/quick.py:ae",
       f"--config.data.data_dir={tiny_data_dir}", f"--workdir={tmp_path}/w",
       "--num_processes=2", f"--process_id={index}", f"--coordinator_address=127.0.0.1:{port}",
       *extra], cwd=ROOT, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_a_signal_while_the_job_waits_ends_it_at_once(tmp_path, tiny_data_dir):
  p = _job_process(tmp_path, tiny_data_dir, 1, _free_port())
  time.sleep(4)   # inside the wait (its timeout is 60 s)
  sent = time.monotonic()
  p.send_signal(signal.SIGTERM)
  _, err = p.communicate(timeout=60)
  assert p.returncode == 2 and time.monotonic() - sent < 5, err
  assert err.strip().startswith("error: interrupted by SIGTERM while waiting for the job's "
                                "processes (process 1 of 2"), err


def test_a_busy_coordinator_port_is_refused_before_jax(tmp_path, tiny_data_dir):
  with socket.socket() as busy:
    busy.bind(("127.0.0.1", 0))
    busy.listen()
    port = busy.getsockname()[1]
    p = _job_process(tmp_path, tiny_data_dir, 0, port)
    _, err = p.communicate(timeout=60)
  assert p.returncode == 2
  assert err.splitlines()[0] == (
      f"FATAL Flags parsing error: --coordinator_address: port {port} cannot be used on this "
      "machine (Address already in use); process 0 hosts the job there, so choose a free port "
      "for every process.")
