"""Every row of the README's bad-input table (tests/bad_inputs.py): the command ends with exit
code 2 (or the row's code) and exactly the row's sentence, never a traceback.

The rows run two at a time in one session fixture, each forked from one process that has
imported the binaries' shared modules (tests/zygote.py; a row about the interpreter's own
start-up gets a process of its own); each row is then its own test. The runs they need (a finished AE and VAE run, a diverged run) are trained once.
"""

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests import bad_input_runner as runner, bad_inputs
from tests.conftest import ROOT, write_dataset

PARALLEL = 2
SECONDS = {}   # Each row's wall time, for the dump.


def _train(workdir, data_dir, model="ae", *args):
  env = {k: v for k, v in os.environ.items() if k != "AE_DATA_DIR"}
  flags = [a.replace("{data}", data_dir).replace("quick.py:ae", f"quick.py:{model}")
           for a in bad_inputs.TRAIN]
  return subprocess.run([sys.executable, "-m", "experiments.train", *flags,
                         f"--workdir={workdir}", *args], cwd=ROOT, env=env,
                        capture_output=True, text=True, timeout=600)


def _run_row(row, tmp, fixtures, zygote):
  started = time.time()
  try:
    process = runner.start(row, tmp, fixtures, ROOT, zygote)
  except runner.Unavailable as e:
    runner.cleanup(tmp)
    return None, "", str(e)
  except Exception as e:  # A set-up that failed is that row's failure, not the session's.
    runner.cleanup(tmp)
    return -1, "", f"set-up failed: {type(e).__name__}: {e}"
  if row.fault in ("sigterm", "sigint"):
    runner.signal_when_checkpointed(process, os.path.join(tmp, "w"),
                                        getattr(signal, row.fault.upper()))
  if row.fault in ("sigterm_at_start", "sigint_at_start"):
    runner.signal_at_start_up(process, getattr(signal, row.fault.split("_")[0].upper()))
  try:
    stdout, stderr = process.communicate(timeout=600)
  except subprocess.TimeoutExpired:
    process.kill()
    stdout, stderr = process.communicate()
  finally:
    if row.fault == "read_only":
      runner.undo_read_only(os.path.join(tmp, "run"))
    runner.cleanup(tmp)
  SECONDS[id(row)] = time.time() - started
  return process.returncode, stdout, stderr


@pytest.fixture(scope="session")
def outcomes():
  """{row index: (exit code, stdout, stderr, tmp)} of every row."""
  base = tempfile.mkdtemp(prefix="ae-bad-inputs-")
  data_dir = os.path.join(base, "data")
  write_dataset(os.path.join(data_dir, "fashion_mnist"), 256, 128, seed=2)
  fixtures = {"data": data_dir}
  runs = {"run": ("ae",), "vae_run": ("vae",),
          "diverged_run": ("ae", "--config.train.learning_rate=1000")}
  with ThreadPoolExecutor(len(runs)) as pool:
    done = {name: pool.submit(_train, os.path.join(base, name), data_dir, *args)
            for name, args in runs.items()}
  for name, future in done.items():
    result = future.result()
    assert result.returncode == (2 if name == "diverged_run" else 0), result.stderr[-2000:]
    fixtures[name] = os.path.join(base, name)
  tmps = [os.path.join(base, f"row{i}") for i in range(len(bad_inputs.ROWS))]
  for t in tmps:
    os.makedirs(t)
  zygote = runner.Zygote(ROOT, os.path.join(base, "outputs"))
  os.makedirs(os.path.join(base, "outputs"))
  try:
    with ThreadPoolExecutor(PARALLEL) as pool:
      futures = [pool.submit(_run_row, row, t, fixtures, zygote)
                 for row, t in zip(bad_inputs.ROWS, tmps)]
      results = {i: (*f.result(), t) for i, (f, t) in enumerate(zip(futures, tmps))}
  finally:
    zygote.close()
  if os.environ.get("AE_BAD_INPUTS_DUMP"):   # For writing the table: what each row said.
    import json
    with open(os.environ["AE_BAD_INPUTS_DUMP"], "w") as f:
      json.dump({i: [r[0], runner.unfill(runner.said(r[2], r[1]), r[3], fixtures),
                     SECONDS.get(id(bad_inputs.ROWS[i]))] for i, r in results.items()}, f,
                indent=1)
  yield results, fixtures
  shutil.rmtree(base, ignore_errors=True)


@pytest.mark.parametrize("index", range(len(bad_inputs.ROWS)),
                         ids=[f"{r.binary}: {r.what}" for r in bad_inputs.ROWS])
def test_row(outcomes, index):
  results, fixtures = outcomes
  row = bad_inputs.ROWS[index]
  code, stdout, stderr, tmp = results[index]
  if code is None:
    pytest.skip(stderr)
  line = runner.unfill(runner.said(stderr, stdout), tmp, fixtures)
  assert "Traceback" not in stderr, stderr[-3000:]
  assert code == row.code, stderr[-3000:]
  assert runner.matches(row.expect, line), f"said: {line}"


def test_the_matcher_can_fail():
  assert runner.matches("epoch {n} of 3", "epoch 12 of 3")
  assert not runner.matches("epoch {n} of 3", "epoch 12 of 4")
  assert not runner.matches("a.", "ab")


def test_readme_shows_the_table():
  with open(os.path.join(ROOT, "README.md")) as f:
    readme = f.read()
  assert bad_inputs.markdown() in readme, "regenerate it with python -m tests.bad_inputs"
  assert len(bad_inputs.ROWS) >= 110
