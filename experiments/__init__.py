"""Thin absl-flag binaries over the `ae` library: `python -m experiments.NAME --workdir=...`.

A binary's first import is this package, so this is where a Ctrl-C (SIGINT) or a SIGTERM that
arrives during start-up is first caught: before `cli.run` installs its own handlers (which then
replace these) nothing has been written, and the process ends at once in one sentence with exit
code 2, never with a KeyboardInterrupt traceback out of an import. Only a binary started with
python -m installs them (not a test or a notebook that imports the package)."""

import os
import signal
import sys


def _interrupted_at_start_up(signum, frame):
  del frame
  os.write(2, (f"error: interrupted by {signal.Signals(signum).name} during start-up; nothing "
               "was written; run the same command again.\n").encode())
  os._exit(2)


if sys.argv[:1] == ["-m"]:   # python -m experiments.NAME, while the package is imported
  for _signum in (signal.SIGINT, signal.SIGTERM):
    signal.signal(_signum, _interrupted_at_start_up)
