"""A backstop for SIGINT and SIGTERM during long compiled work.

Python runs a signal handler only between bytecodes of the main thread, so while that thread
waits inside XLA (a long compile or computation) the binary's handler (`cli.run`'s, which raises
`Interrupted`) is held up. `watch` installs a second listener: the same signal also wakes a
thread (signal.set_wakeup_fd). If the process has not ended `grace_s` later, and no checkpoint is
being written (those are finished first, `io.signals_deferred`), the thread writes the run's
sentence and ends the process (os._exit: the main thread is inside C++). Every output is written
atomically, so what is in the workdir is whole. A TPU pod's preemption notice gives about 30 s.
"""

import os
import signal
import threading
import time
from typing import Callable

from ae import io

GRACE_S = 5.0   # how long the main thread has to act on a signal before the watchdog does


def watch(said: Callable[[], bool], fix: Callable[[], str], exit_code: int,
          grace_s: float = GRACE_S) -> None:
  """Starts the watchdog (main thread only; a no-op elsewhere). `said()` is True once the run
  has written its own last sentence (the watchdog then only ends the process); `fix()` ends the
  watchdog's sentence ("interrupted by SIGTERM; <fix>.")."""
  if threading.current_thread() is not threading.main_thread():
    return
  read, write = os.pipe()
  os.set_blocking(write, False)
  try:
    signal.set_wakeup_fd(write, warn_on_full_buffer=False)
  except (ValueError, OSError):
    return

  def run():
    while True:
      signum = os.read(read, 1)[0]
      if signum not in (signal.SIGINT, signal.SIGTERM):
        continue
      deadline = time.monotonic() + grace_s
      while time.monotonic() < deadline or io.deferring():
        time.sleep(0.05)
      if not said():
        os.write(2, f"error: interrupted by {signal.Signals(signum).name}; {fix()}.\n".encode())
      os._exit(exit_code)

  threading.Thread(target=run, name="ae-signal-watchdog", daemon=True).start()
