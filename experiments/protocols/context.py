"""What a protocol's `run` gets: where to write, which data, how many seeds and epochs, and
training and caching that resume after an interruption.

Each training run is a workdir of its own under the protocol's directory, locked and owned like
one of `experiments.train` (so `experiments.evaluate` reads it afterwards), resumed from its
latest checkpoint when it is there. Each measurement that costs time (an importance-sampled NLL)
is cached as JSON under its name, so a protocol interrupted anywhere repeats at most the piece
it was in. `seconds` adds up the wall time of the finished pieces, across resumes.
"""

import os
import time

from ae import io
from ae.training import config as config_lib
from ae.training import loop


class Context:
  def __init__(self, root: str, data_dir, seeds: int, max_epochs, command: str):
    self.root = root
    self.data_dir = data_dir
    self.seeds = seeds
    self.max_epochs = max_epochs
    self.command = command
    self.epochs_run = 0
    os.makedirs(root, exist_ok=True)
    self._seconds_path = os.path.join(root, "seconds.json")
    self.seconds = (io.read_json(self._seconds_path)["seconds"]
                    if os.path.exists(self._seconds_path) else 0.0)

  def _spent(self, started: float) -> None:
    self.seconds += time.perf_counter() - started
    io.write_json(self._seconds_path, {"seconds": self.seconds})

  def epochs(self, protocol_epochs: int) -> int:
    """The protocol's epochs, or fewer when --max_epochs caps them."""
    return min(protocol_epochs, self.max_epochs) if self.max_epochs else protocol_epochs

  def config(self, config, epochs: int | None = None):
    """config with the data directory of --data_dir and at most `epochs` (else the capped
    protocol's), validated."""
    c = config.copy_and_resolve_references()
    if self.data_dir:
      c.data.data_dir = self.data_dir
    c.train.epochs = epochs if epochs is not None else self.epochs(c.train.epochs)
    return config_lib.validate(c)

  def train(self, config, name: str, epochs: int | None = None):
    """Trains config (`self.config(config, epochs)`) into ROOT/name, resuming; its
    `loop.TrainResult`. A workdir holding a different run, or one in use, is refused."""
    from experiments import runs, workdirs
    from experiments import cli
    config = self.config(config, epochs)
    workdir = os.path.join(self.root, name)
    os.makedirs(workdir, exist_ok=True)
    try:
      before = io.lock_directory(workdir, "train", self.command)
    except io.Locked as e:
      raise cli.usage_error("workdir", f"{workdir} is in use by process "
                            f"{e.holder.get('pid', 'unknown')}; wait for it to end, or choose "
                            "another --workdir.") from None
    first = workdirs.owner(workdir, before)
    if first not in (None, "train"):
      raise cli.usage_error("workdir", workdirs.not_a_run(workdir, first))
    runs.check_resume(workdir, config)
    started = time.perf_counter()
    result = loop.train_and_evaluate(config, workdir)
    self._spent(started)
    self.epochs_run = max(self.epochs_run, len(result.history))
    return result

  def cached(self, name: str, compute):
    """compute()'s JSON value, computed once: kept in ROOT/name.json."""
    path = os.path.join(self.root, f"{name}.json")
    if os.path.exists(path):
      return io.read_json(path)["value"]
    started = time.perf_counter()
    value = compute()
    io.write_json(path, {"value": value})
    self._spent(started)
    return value
