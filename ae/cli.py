"""What every experiment binary shares: flag errors and data errors as exit code 2, a writable
workdir, atomic outputs (nothing half-written is ever left), config.json and a printed table."""

import json
import logging
import os
import subprocess
import sys
import tempfile
from typing import Callable, Sequence

# TensorFlow only backs tfds and the TensorBoard writer here (no computing), so its C++ start-up
# notes are noise; TF 2.21 prints the oneDNN one whatever TF_CPP_MIN_LOG_LEVEL says.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

from absl import app, flags  # noqa: E402
from absl import logging as absl_logging  # noqa: E402

from ae.data import DataError  # noqa: E402

FLAGS = flags.FLAGS
USAGE_EXIT = 2


class RunError(Exception):
  """A run that cannot go on (diverged training, missing checkpoint); the message names the fix."""


def _parse_flags(argv: Sequence[str]):
  try:
    return FLAGS(argv)
  except flags.Error as e:
    sys.stderr.write(f"FATAL Flags parsing error: {e}\n"
                     "Pass --helpshort or --helpfull to see help on flags.\n")
    sys.exit(USAGE_EXIT)


def require_positive(name: str, strict: bool = True) -> None:
  """Registers a flag validator: the value must be > 0 (or >= 0 when not strict)."""
  flags.register_validator(
      name, lambda v: v is None or (v > 0 if strict else v >= 0),
      message=f"--{name} must be {'positive' if strict else 'non-negative'}.")


def usage_error(flag: str, message: str) -> app.UsageError:
  """An absl usage error that names the flag; raise it from main to exit with code 2."""
  return app.UsageError(f"--{flag}: {message}", exitcode=USAGE_EXIT)


def run(main: Callable[[Sequence[str]], object]) -> None:
  """app.run with exit code 2 for bad flags, unusable data and runs that cannot go on."""
  def guarded(argv):
    if not FLAGS["verbosity"].present:  # Orbax and JAX log every step at INFO level.
      absl_logging.set_verbosity(absl_logging.WARNING)
    try:
      if len(argv) > 1:
        raise app.UsageError(f"unexpected arguments {argv[1:]}; every option is a --flag.")
      return main(argv)
    except app.UsageError as e:   # One sentence, not absl's page of module docs.
      sys.stderr.write(f"FATAL Flags parsing error: {e}\n"
                       "Pass --helpshort or --helpfull to see help on flags.\n")
      sys.exit(USAGE_EXIT)
    except (DataError, RunError) as e:
      sys.stderr.write(f"error: {e}\n")
      sys.exit(USAGE_EXIT)
  # JAX reports at INFO level each backend it cannot find (TPU on a GPU/CPU box): noise here.
  logging.getLogger("jax._src.xla_bridge").setLevel(logging.WARNING)
  app.run(guarded, flags_parser=_parse_flags)


def run_command(command: Sequence[str]) -> subprocess.CompletedProcess:
  """Runs a command, capturing its output; a RunError with its last stderr line if it fails."""
  result = subprocess.run(list(command), capture_output=True, text=True)
  if result.returncode != 0:
    lines = result.stderr.strip().splitlines()
    raise RunError(f"{' '.join(command)} failed (exit {result.returncode}): "
                   f"{lines[-1] if lines else 'no error output'}")
  return result


def prepare_workdir(workdir: str) -> str:
  """Creates workdir and checks that it can be written; a usage error names --workdir if not."""
  if not workdir:
    raise usage_error("workdir", "is required: name a directory for the outputs.")
  try:
    os.makedirs(workdir, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=workdir, prefix=".probe-"):
      pass
  except OSError as e:
    raise usage_error("workdir", f"{workdir} cannot be written ({e.strerror}); "
                      "choose a directory you can write to.") from e
  return workdir


def _atomic_write(path: str, write: Callable[[str], None]) -> None:
  directory = os.path.dirname(os.path.abspath(path))
  fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{os.path.basename(path)}.")
  os.close(fd)
  try:
    write(tmp)
    os.replace(tmp, path)
  except BaseException:
    os.unlink(tmp)
    raise


def write_json(path: str, obj) -> None:
  """Writes JSON atomically (temporary file, then rename)."""
  def write(tmp):
    with open(tmp, "w") as f:
      json.dump(obj, f, indent=1, default=_to_python)
      f.write("\n")
  _atomic_write(path, write)


def write_lines(path: str, lines: Sequence[str]) -> None:
  """Replaces a text file atomically with these lines."""
  def write(tmp):
    with open(tmp, "w") as f:
      f.writelines(line + "\n" for line in lines)
  _atomic_write(path, write)


def append_line(path: str, line: str) -> None:
  """Appends one whole line and syncs it to disk (metrics.jsonl grows a line at a time)."""
  with open(path, "a") as f:
    f.write(line + "\n")
    f.flush()
    os.fsync(f.fileno())


def save_figure(fig, path: str) -> None:
  """Saves a matplotlib figure as PNG atomically and closes it."""
  import matplotlib.pyplot as plt
  _atomic_write(path, lambda tmp: fig.savefig(tmp, format="png", dpi=110, bbox_inches="tight"))
  plt.close(fig)


def _to_python(x):
  if hasattr(x, "tolist"):
    return x.tolist()
  raise TypeError(f"cannot write {type(x).__name__} as JSON")


def flag_dict() -> dict:
  """Every flag the program defined (absl's own left out), for config.json."""
  out = {}
  for module, module_flags in FLAGS.flags_by_module_dict().items():
    if module.startswith("absl.") or "/absl/" in module:
      continue
    for flag in module_flags:
      out[flag.name] = flag.value
  return dict(sorted(out.items()))


def write_config(workdir: str, extra: dict | None = None) -> dict:
  config = flag_dict()
  config.update(extra or {})
  write_json(os.path.join(workdir, "config.json"), config)
  return config


def format_table(headers: Sequence[str], rows: Sequence[Sequence]) -> str:
  """A plain-text table; floats in compact scientific or fixed notation."""
  def fmt(v):
    if isinstance(v, float):
      return f"{v:.3e}" if v != 0 and (abs(v) < 1e-3 or abs(v) >= 1e5) else f"{v:.4f}"
    return str(v)
  cells = [[fmt(v) for v in row] for row in rows]
  widths = [max(len(h), *(len(r[i]) for r in cells)) for i, h in enumerate(headers)]
  line = lambda items: "  ".join(s.rjust(w) for s, w in zip(items, widths))
  return "\n".join([line(headers), line(["-" * w for w in widths])] + [line(r) for r in cells])
