"""Preparing and running the rows of `tests/bad_inputs.py`: each row's set-up (a copied run with
one thing damaged, a dataset of empty files, ...), the faults (a file-size cap, a read-only
directory, a signal), and how a row's output is judged against its sentence."""

import json
import os
import re
import shutil
import subprocess
import sys
import time

from tests.bad_input_row import Row
from tests.zygote import Zygote, row_env


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


def _png_folder(tmp, sizes=((8, 8),) * 4):
  import numpy as np
  from PIL import Image
  d = os.path.join(tmp, "imgs")
  for i, (h, w) in enumerate(sizes):
    os.makedirs(os.path.join(d, f"c{i % 2}"), exist_ok=True)
    Image.fromarray(np.full((h, w, 3), 40 * i, np.uint8)).save(
        os.path.join(d, f"c{i % 2}", f"{i}.png"))
  return d


def setup_png_truncated(tmp, fixtures):
  path = os.path.join(_png_folder(tmp), "c1", "3.png")
  with open(path, "rb") as f:
    blob = f.read()
  with open(path, "wb") as f:
    f.write(blob[:len(blob) // 2])


def setup_png_mixed_sizes(tmp, fixtures):
  _png_folder(tmp, ((8, 8), (8, 8), (8, 8), (12, 8)))


def setup_png_empty(tmp, fixtures):
  os.makedirs(os.path.join(tmp, "imgs"))


def setup_npz_short_labels(tmp, fixtures):
  import numpy as np
  np.savez(os.path.join(tmp, "d.npz"), images=np.zeros((10, 8, 8, 3), np.uint8),
           labels=np.zeros(9, np.int64))


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


HELD = {}   # tmp -> a process that holds a directory's lock during the row


HOLD = """
import sys
from ae import io
io.lock_directory(sys.argv[1], sys.argv[2], "python -m experiments." + sys.argv[2])
print("held", flush=True)
sys.stdin.read()
"""


def _hold(tmp, directory, binary="train"):
  """Starts a process that holds `directory`'s lock (as `binary` would) until the row ends."""
  holder = subprocess.Popen([sys.executable, "-c", HOLD, directory, binary],
                            cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
  assert holder.stdout.readline().strip() == "held"
  HELD[tmp] = holder


def setup_run_held(tmp, fixtures):
  """A finished run whose lock another live process (a train still running) holds."""
  _hold(tmp, _copy_run(tmp, fixtures))


def setup_workdir_held(tmp, fixtures):
  os.makedirs(os.path.join(tmp, "w"))
  _hold(tmp, os.path.join(tmp, "w"), "descent")


def setup_descent_workdir(tmp, fixtures):
  """A workdir that python -m experiments.descent wrote."""
  w = os.path.join(tmp, "w")
  os.makedirs(w)
  with open(os.path.join(w, ".ae-lock"), "w") as f:
    json.dump({"owner": "descent", "pid": 1, "binary": "descent", "command": ""}, f)
  with open(os.path.join(w, "config.json"), "w") as f:
    json.dump({"lr": 4.0, "workdir": w}, f)


CONFIGS = {   # config files that load but are not configs
    "returns_none": "def get_config():\n  return None\n",
    "returns_dict": "def get_config():\n  return {'model': {'name': 'ae'}}\n",
    "returns_number": "def get_config():\n  return 3\n",
    "no_get_config": "X = 1\n",
    "raises": "def get_config():\n  raise RuntimeError('not today')\n",
    "empty_configdict": ("import ml_collections\ndef get_config():\n"
                         "  return ml_collections.ConfigDict()\n"),
    "no_train_section": ("from experiments.configs import quick\ndef get_config():\n"
                         "  c = quick.get_config('ae')\n  del c['train']\n  return c\n"),
}


def setup_configs(tmp, fixtures):
  for name, text in CONFIGS.items():
    with open(os.path.join(tmp, f"{name}.py"), "w") as f:
      f.write(text)


def setup_swapped_dataset(tmp, fixtures):
  """mnist/ holding Fashion-MNIST's real files (Debian's dataset-fashion-mnist)."""
  source = "/usr/share/datasets/fashion-mnist"
  if not os.path.isdir(source):
    raise Unavailable(f"{source} is missing (apt-get install dataset-fashion-mnist)")
  os.makedirs(os.path.join(tmp, "d", "mnist"))
  for name in os.listdir(source):
    os.symlink(os.path.join(source, name), os.path.join(tmp, "d", "mnist", name))


class Unavailable(Exception):
  """This machine cannot make the row's set-up or fault (the reason in words)."""


def cleanup(tmp: str) -> None:
  """Ends what a row's set-up left running."""
  holder = HELD.pop(tmp, None)
  if holder is not None:
    holder.kill()
    holder.wait()


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


# Faults of the interpreter's own start-up or of a shell's limits: these rows need a process of
# their own from exec on; every other row is forked from the Zygote.
OWN_PROCESS = ("sigint_at_start", "sigterm_at_start", "address_space", "fsize")


def start(row: Row, tmp: str, fixtures: dict, root: str, zygote: Zygote | None = None):
  """Prepares the row's directory and starts its command, forked from `zygote` unless the
  row's fault needs a process of its own. Raises Unavailable when this machine cannot make the
  row's set-up or fault."""
  if row.setup:
    globals()[f"setup_{row.setup}"](tmp, fixtures)
  env = row_env()
  if row.fault == "read_only" and not make_read_only(os.path.join(tmp, "run")):
    raise Unavailable("this machine cannot make the directory read-only (chattr +i failed)")
  args = [fill(a, tmp, fixtures) for a in row.args]
  if zygote is not None and row.fault not in OWN_PROCESS:
    return zygote.start(row.binary, args, root)
  command = [sys.executable, "-m", f"experiments.{row.binary}", *args]
  if row.fault == "address_space":   # 8 GB of address space: a large allocation fails.
    command = ["bash", "-c", 'ulimit -v 8000000; exec "$@"', "bash", *command]
  if row.fault == "fsize":   # Files capped at 64 kB; SIGXFSZ ignored, so writes fail (EFBIG).
    command = ["bash", "-c", 'trap "" XFSZ; ulimit -f 64; exec "$@"', "bash", *command]
    env["AE_COMPILATION_CACHE"] = "0"   # Its cut-short cache entries would warn other rows.
  return subprocess.Popen(command, cwd=root, env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True)


def signal_at_start_up(process: subprocess.Popen, signum: int, delay: float = 0.3):
  """Sends `signum` `delay` s after the start: inside the interpreter's imports."""
  time.sleep(delay)
  process.send_signal(signum)


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
