"""Writing run outputs so that nothing half-written is ever left: each file is written to a
temporary name in its directory and renamed over the target when complete (atomic on POSIX).

A write that the system refuses (a full disk, a quota, a read-only directory) raises
`OutputError` naming the file; JSON holding NaN or infinity raises `ResultError` naming the key
(JSON has no such numbers, and a result that is not a number is not a result). Outputs get mode
0644, whatever the umask gave the temporary file.
"""

import contextlib
import errno
import fcntl
import json
import math
import os
import signal
import sys
import tempfile
import threading
from typing import Callable, Sequence

from ae.errors import OutputError, ResultError

# The errors a write can meet that the user fixes outside the program (free space, permissions).
OUTPUT_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS, errno.EACCES,
                 errno.EPERM}


def output_error(path: str, e: BaseException) -> OutputError | None:
  """The OutputError for a failed write of `path`, or None when `e` is not such a failure. Also
  reads the system's words inside other libraries' messages (TensorStore's, for checkpoints)."""
  if isinstance(e, OSError) and e.errno in OUTPUT_ERRNOS:
    return OutputError(path, e.strerror or os.strerror(e.errno))
  text = str(e)
  for code in sorted(OUTPUT_ERRNOS):
    if os.strerror(code) in text:
      return OutputError(path, os.strerror(code))
  return None


def _atomic_write(path: str, write: Callable[[str], None]) -> None:
  directory = os.path.dirname(os.path.abspath(path))
  try:
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{os.path.basename(path)}.")
  except OSError as e:
    raise (output_error(path, e) or e) from e
  os.close(fd)
  try:
    write(tmp)
    os.chmod(tmp, 0o644)   # mkstemp makes 0600; outputs get the usual mode.
    os.replace(tmp, path)
  except BaseException as e:
    os.unlink(tmp)
    error = output_error(path, e)
    if error is not None:
      raise error from e
    raise


@contextlib.contextmanager
def stderr_kept_on_success():
  """Holds back what is written to file descriptor 2 inside the block (C++ libraries included):
  replayed when the block succeeds, dropped when it raises. Orbax and TensorStore print a
  traceback per failed write task when a checkpoint write fails; the typed error raised instead
  is the one report (and `quiet_closed_event_loops` the callbacks that come after the block)."""
  sys.stderr.flush()
  saved = os.dup(2)
  with tempfile.TemporaryFile() as held:
    os.dup2(held.fileno(), 2)
    failed = True
    try:
      yield
      failed = False
    finally:
      sys.stderr.flush()
      os.dup2(saved, 2)
      os.close(saved)
      if not failed:
        held.seek(0)
        text = held.read()
        if text:
          sys.stderr.buffer.write(text)
          sys.stderr.flush()


def _is_closed_loop_callback(exc_type, value, tb) -> bool:
  """True for RuntimeError('Event loop is closed') raised by asyncio's call_soon_threadsafe."""
  if exc_type is not RuntimeError or str(value) != "Event loop is closed":
    return False
  frames = []
  while tb is not None:
    frames.append(tb.tb_frame.f_code.co_name)
    tb = tb.tb_next
  return "call_soon_threadsafe" in frames


def quiet_closed_event_loops() -> None:
  """Drops one kind of report, and only that kind, from sys.unraisablehook for the rest of the
  process: RuntimeError('Event loop is closed') raised in asyncio's call_soon_threadsafe.
  After a checkpoint write fails, TensorStore's writes that were still in flight finish later
  and call back into orbax's event loop, already closed; TensorStore reports each failed
  callback as unraisable, a bare traceback, possibly after the run has reported the failure
  (a busy machine makes that likely). They say nothing the OutputError does not. Idempotent;
  every other report reaches the hook that was in place."""
  previous = sys.unraisablehook
  if getattr(previous, "_ae_quiet_closed_loops", False):
    return

  def hook(unraisable):
    if not _is_closed_loop_callback(unraisable.exc_type, unraisable.exc_value,
                                    unraisable.exc_traceback):
      previous(unraisable)
  hook._ae_quiet_closed_loops = True
  sys.unraisablehook = hook


_DEFERRING = 0   # how many signals_deferred blocks are open (a checkpoint being written)


def deferring() -> bool:
  """True while a `signals_deferred` block runs (a signal must wait for it)."""
  return _DEFERRING > 0


@contextlib.contextmanager
def signals_deferred(signums=(signal.SIGINT, signal.SIGTERM)):
  """Holds SIGINT and SIGTERM until the block ends, then delivers the first one to the handler
  that was in place: a checkpoint being written is finished, never cut short (orbax's writer
  threads would otherwise be shut down under it). Only the main thread can hold signals."""
  if threading.current_thread() is not threading.main_thread():
    yield
    return
  global _DEFERRING
  _DEFERRING += 1
  pending = []
  old = {s: signal.getsignal(s) for s in signums}
  for s in signums:
    signal.signal(s, lambda signum, frame: pending.append(signum))
  try:
    yield
  finally:
    _DEFERRING -= 1
    for s, handler in old.items():
      signal.signal(s, handler)
    if pending:
      handler = old[pending[0]]
      if callable(handler):
        handler(pending[0], None)
      elif handler == signal.SIG_DFL:
        os.kill(os.getpid(), pending[0])


LOCK_NAME = ".ae-lock"
_HELD = {}   # realpath of a locked directory -> its open lock file (held until the process ends)


class Locked(Exception):
  """Another live process holds the directory's lock: `holder` is what it wrote there (its pid,
  binary and command), as far as it could be read."""

  def __init__(self, directory: str, holder: dict):
    super().__init__(directory)
    self.directory, self.holder = directory, holder


def _read_lock(f) -> dict:
  f.seek(0)
  try:
    holder = json.loads(f.read() or "{}")
  except ValueError:
    return {}
  return holder if isinstance(holder, dict) else {}


def read_lock(directory: str) -> dict:
  """What DIRECTORY/.ae-lock says ({} when there is none or it cannot be read)."""
  try:
    with open(os.path.join(directory, LOCK_NAME)) as f:
      return _read_lock(f)
  except OSError:
    return {}


def lock_directory(directory: str, binary: str, command: str, claim: bool = True) -> dict:
  """Takes the exclusive OS lock (flock) of `directory` for the rest of this process: the kernel
  releases it when the process ends, however it ends (kill -9 included), so a lock is never
  stale. Raises `Locked` when another process holds it. The lock file, DIRECTORY/.ae-lock, says
  who holds it ({"pid", "binary", "command"}) and which binary first wrote the directory
  ("owner", kept across holders; a binary that does not `claim` the directory, a reader that adds
  its own files, leaves it unset). Returns what it held before (empty for a new directory).
  Taking a lock this process already holds is a no-op."""
  key = os.path.realpath(directory)
  if key in _HELD:
    return _read_lock(_HELD[key])
  path = os.path.join(directory, LOCK_NAME)
  f = open(path, "a+")
  try:
    fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
  except OSError as e:
    holder = _read_lock(f)
    f.close()
    if e.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
      raise Locked(directory, holder) from None
    raise
  before = _read_lock(f)
  now = {"owner": before.get("owner") or (binary if claim else None), "pid": os.getpid(),
         "binary": binary, "command": command}
  try:
    f.seek(0)
    f.truncate()
    f.write(json.dumps(now) + "\n")
    f.flush()
  except OSError:   # A full disk: the lock is held all the same; only who holds it is unsaid.
    pass
  _HELD[key] = f
  return before


def _to_python(x):
  if hasattr(x, "tolist"):
    return x.tolist()
  raise TypeError(f"cannot write {type(x).__name__} as JSON")


def first_nonfinite(obj, prefix: str = ""):
  """(dotted key, value) of the first NaN or infinite number in a JSON-like object, or None."""
  if isinstance(obj, float) and not math.isfinite(obj):
    return prefix or "value", obj
  items = obj.items() if isinstance(obj, dict) else enumerate(obj) if isinstance(
      obj, (list, tuple)) else ()
  for k, v in items:
    found = first_nonfinite(v, f"{prefix}.{k}" if prefix else str(k))
    if found:
      return found
  return None


def dumps(obj, **kwargs) -> str:
  """json.dumps that refuses NaN and infinity with a ResultError naming the key."""
  try:
    return json.dumps(obj, allow_nan=False, default=_to_python, **kwargs)
  except ValueError:
    found = first_nonfinite(json.loads(json.dumps(obj, default=_to_python)))
    if found is None:
      raise
    raise ResultError(*found) from None


def write_json(path: str, obj) -> None:
  """Writes JSON atomically (temporary file, then rename)."""
  text = dumps(obj, indent=1) + "\n"

  def write(tmp):
    with open(tmp, "w") as f:
      f.write(text)
  _atomic_write(path, write)


def read_json(path: str):
  """The JSON in path; ValueError (json.JSONDecodeError) when it is not valid JSON."""
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
  try:
    with open(path, "a") as f:
      f.write(line + "\n")
      f.flush()
      os.fsync(f.fileno())
  except OSError as e:
    raise (output_error(path, e) or e) from e


def save_figure(fig, path: str) -> None:
  """Saves a matplotlib figure as PNG atomically and closes it."""
  import matplotlib.pyplot as plt
  _atomic_write(path, lambda tmp: fig.savefig(tmp, format="png", dpi=110, bbox_inches="tight"))
  plt.close(fig)
