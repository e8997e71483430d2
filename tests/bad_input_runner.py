"""Preparing and running the rows of `tests/bad_inputs.py`: each row's set-up (a copied run with
one thing damaged, a dataset of empty files, ...), the faults (a file-size cap, a read-only
directory, a signal), and how a row's output is judged against its sentence."""

import os
import re
import shutil
import subprocess
import sys
import time

from tests.bad_inputs import Row


def _copy_run(tmp, fixtures, name="run"):
  return shutil.copytree(fixtures[name], os.path.join(tmp, "run"))


def setup_run(tmp, fixtures):
  _copy_run(tmp, fixtures)


def setup_run_vae(tmp, fixtures):
  _copy_run(tmp, fixtures, "vae_run")


def setup_run_diverged(tmp, fixtures):
  _copy_run(tmp, fixtures, "diverged_run")


def setup_run_without_config(tmp, fixtures):
  os.unlink(os.path.join(_copy_run(tmp, fixtures), "config.json"))


def setup_run_without_metrics_jsonl(tmp, fixtures):
  os.unlink(os.path.join(_copy_run(tmp, fixtures), "metrics.jsonl"))


def setup_run_bad_json(tmp, fixtures):
  with open(os.path.join(_copy_run(tmp, fixtures), "config.json"), "w") as f:
    f.write("{not json")


def setup_run_rotted(tmp, fixtures):
  """Flips one byte in the middle of the checkpoint's largest file; the size stays."""
  run = _copy_run(tmp, fixtures)
  files = [os.path.join(r, f) for r, _, fs in os.walk(os.path.join(run, "checkpoints", "1"))
           for f in fs if f != "ae_sha256.json"]
  path = max(files, key=os.path.getsize)
  with open(path, "r+b") as f:
    f.seek(os.path.getsize(path) // 2)
    byte = f.read(1)
    f.seek(-1, os.SEEK_CUR)
    f.write(bytes([byte[0] ^ 0xFF]))


def setup_run_truncated(tmp, fixtures):
  """Cuts every larger checkpoint file to 100 bytes, as a full disk or a bad copy would."""
  run = _copy_run(tmp, fixtures)
  for r, _, files in os.walk(os.path.join(run, "checkpoints", "1")):
    for f in files:
      path = os.path.join(r, f)
      if os.path.getsize(path) > 1000 and f != "ae_sha256.json":
        with open(path, "r+b") as fh:
          fh.truncate(100)


def setup_run_torn_metrics(tmp, fixtures):
  with open(os.path.join(_copy_run(tmp, fixtures), "metrics.jsonl"), "a") as f:
    f.write('{"epoch": 2, "train_lo')


def setup_run_other_data(tmp, fixtures):
  """The run's config.json points at a copy of its data whose first test image changed."""
  from ae import data
  run = _copy_run(tmp, fixtures)
  new = shutil.copytree(fixtures["data"], os.path.join(tmp, "data"))
  path = os.path.join(new, "fashion_mnist", "t10k-images-idx3-ubyte.gz")
  images = data.read_idx(path, 3).copy()
  images[0] = 255 - images[0]
  data.write_idx(path, images)
  _rewrite_data_dir(run, new)


def _rewrite_data_dir(run, new_dir):
  import json
  path = os.path.join(run, "config.json")
  with open(path) as f:
    config = json.load(f)
  config["data"]["data_dir"] = new_dir
  with open(path, "w") as f:
    json.dump(config, f)


def setup_empty_idx(tmp, fixtures):
  import numpy as np
  from ae import data
  d = os.path.join(tmp, "empty")
  os.makedirs(d)
  for split in ("train", "test"):
    images, labels = data.idx_filenames(split)
    data.write_idx(os.path.join(d, images + ".gz"), np.zeros((0, 28, 28), np.uint8))
    data.write_idx(os.path.join(d, labels + ".gz"), np.zeros((0,), np.uint8))


def setup_cut_idx(tmp, fixtures):
  d = shutil.copytree(os.path.join(fixtures["data"], "fashion_mnist"), os.path.join(tmp, "cut"))
  import gzip
  path = os.path.join(d, "train-images-idx3-ubyte.gz")
  with gzip.open(path, "rb") as f:
    raw = f.read()
  os.unlink(path)
  with open(os.path.join(d, "train-images-idx3-ubyte"), "wb") as f:
    f.write(raw[:16 + 1000])


def setup_root_with_diverged_run(tmp, fixtures):
  shutil.copytree(fixtures["run"], os.path.join(tmp, "a_finished"))
  shutil.copytree(fixtures["diverged_run"], os.path.join(tmp, "b_diverged"))


def setup_root_with_broken_run(tmp, fixtures):
  _copy_run(tmp, fixtures)
  broken = os.path.join(tmp, "broken")
  shutil.copytree(fixtures["run"], broken)
  with open(os.path.join(broken, "metrics.json"), "w") as f:
    f.write("")


# --------------------------------------------------------------------------------- running


def fill(text: str, tmp: str, fixtures: dict) -> str:
  return (text.replace("{run}", os.path.join(tmp, "run")).replace("{tmp}", tmp)
          .replace("{data}", fixtures["data"]))


def unfill(text: str, tmp: str, fixtures: dict) -> str:
  return (text.replace(os.path.join(tmp, "run"), "{run}").replace(tmp, "{tmp}")
          .replace(fixtures["data"], "{data}"))


WILDCARDS = {"{n}": r"\S+?", "{reason}": r"[^()]+"}


def matches(expect: str, line: str) -> bool:
  """Whether line says expect, where {n} stands for any word and {reason} for the system's
  words inside parentheses."""
  pattern = "".join(WILDCARDS.get(part) or re.escape(part)
                    for part in re.split(r"(\{n\}|\{reason\})", expect))
  return re.fullmatch(pattern, line) is not None


def said(stderr: str, stdout: str) -> str:
  """The line a row is judged by: the last FATAL/error line, else the first note, else the
  last line of stdout."""
  lines = stderr.splitlines()
  for prefix in (("FATAL", "error:"), ("note:",)):
    found = [l for l in lines if l.startswith(prefix)]
    if found:
      return found[-1] if prefix[0] == "FATAL" else found[0]
  out = stdout.strip().splitlines()
  return out[-1] if out else ""


def make_read_only(directory: str) -> bool:
  """Makes directory unwritable for this process: chmod for a user, the immutable attribute
  (chattr +i) for root, whom permission bits do not stop. False when neither works here."""
  if os.geteuid() != 0:
    os.chmod(directory, 0o555)
    return True
  return subprocess.run(["chattr", "+i", directory], capture_output=True).returncode == 0


def undo_read_only(directory: str) -> None:
  if os.geteuid() == 0:
    subprocess.run(["chattr", "-i", directory], capture_output=True)
  else:
    os.chmod(directory, 0o755)


def start(row: Row, tmp: str, fixtures: dict, root: str) -> subprocess.Popen | None:
  """Prepares the row's directory and starts its command (None: this machine cannot make the
  row's fault)."""
  if row.setup:
    globals()[f"setup_{row.setup}"](tmp, fixtures)
  env = {k: v for k, v in os.environ.items() if k != "AE_DATA_DIR"}
  env.update(TF_CPP_MIN_LOG_LEVEL="3", PYTHONDONTWRITEBYTECODE="1")
  if row.fault == "read_only" and not make_read_only(os.path.join(tmp, "run")):
    return None
  command = [sys.executable, "-m", f"experiments.{row.binary}",
             *[fill(a, tmp, fixtures) for a in row.args]]
  if row.fault == "fsize":   # Files capped at 64 kB; SIGXFSZ ignored, so writes fail (EFBIG).
    command = ["bash", "-c", 'trap "" XFSZ; ulimit -f 64; exec "$@"', "bash", *command]
    env["AE_COMPILATION_CACHE"] = "0"   # Its cut-short cache entries would warn other rows.
  return subprocess.Popen(command, cwd=root, env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True)


def signal_when_checkpointed(process: subprocess.Popen, workdir: str, signum: int,
                             timeout: float = 300):
  """Sends `signum` once the run's first checkpoint is complete (its checksums written)."""
  deadline = time.time() + timeout
  path = os.path.join(workdir, "checkpoints", "1", "ae_sha256.json")
  while time.time() < deadline and process.poll() is None:
    if os.path.exists(path):
      process.send_signal(signum)
      return
    time.sleep(0.05)
