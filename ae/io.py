"""Writing run outputs so that nothing half-written is ever left: each file is written to a
temporary name in its directory and renamed over the target when complete (atomic on POSIX)."""

import json
import os
import tempfile
from typing import Callable, Sequence


def _atomic_write(path: str, write: Callable[[str], None]) -> None:
  directory = os.path.dirname(os.path.abspath(path))
  fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{os.path.basename(path)}.")
  os.close(fd)
  try:
    write(tmp)
    os.chmod(tmp, 0o644)   # mkstemp makes 0600; outputs get the usual mode.
    os.replace(tmp, path)
  except BaseException:
    os.unlink(tmp)
    raise


def _to_python(x):
  if hasattr(x, "tolist"):
    return x.tolist()
  raise TypeError(f"cannot write {type(x).__name__} as JSON")


def write_json(path: str, obj) -> None:
  """Writes JSON atomically (temporary file, then rename)."""
  def write(tmp):
    with open(tmp, "w") as f:
      json.dump(obj, f, indent=1, default=_to_python)
      f.write("\n")
  _atomic_write(path, write)


def read_json(path: str):
  with open(path) as f:
    return json.load(f)


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
