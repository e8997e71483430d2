"""The tests' fork server: experiments/forkserver.py with the rows' environment (no AE_DATA_DIR
from the caller, TensorFlow quiet, no bytecode written into the checkout). The rows whose fault
is the interpreter's own start-up (a signal during its imports, ulimits set by a shell) keep
real processes."""

import os

from experiments import forkserver

Forked = forkserver.Forked


def row_env() -> dict:
  env = {k: v for k, v in os.environ.items() if k != "AE_DATA_DIR"}
  env.update(TF_CPP_MIN_LOG_LEVEL="3", PYTHONDONTWRITEBYTECODE="1")
  return env


class Zygote(forkserver.Zygote):
  def __init__(self, root: str, scratch: str):
    super().__init__(root, scratch, row_env())

  def start(self, binary: str, args: list, cwd: str, out=None, err=None):
    self._env = row_env()   # as the caller's environment is now, for each row
    return super().start(binary, args, cwd, out, err)
