"""What the binaries share about runs: a workdir holding another run is refused
(`check_resume`), and a finished run is loaded with its fix named when it cannot be
(`load_run`)."""

import json
import os

from ae import io
from ae.errors import ConfigError
from ae.training import checkpoints, config as config_lib, loop
from experiments import cli, workdirs


def check_resume(workdir: str, config, flag: str = "workdir") -> None:
  """A workdir that already holds a different run (other than train.epochs) is refused with a
  usage error naming --`flag`."""
  path = os.path.join(workdir, "config.json")
  if not os.path.exists(path) or checkpoints.latest_step(workdir) is None:
    return
  try:   # Through from_dict: fields added since the old run was written take their defaults.
    old = config_lib.flatten(config_lib.to_dict(config_lib.from_dict(io.read_json(path))))
  except (ValueError, TypeError) as e:   # ConfigError, JSONDecodeError
    raise cli.usage_error(flag, f"{path} is not a training config this version can read "
                          f"({e}); choose a new --{flag}.") from e
  new = config_lib.flatten(config_lib.to_dict(config))
  differ = sorted(k for k in set(old) | set(new)
                  if k != "train.epochs" and old.get(k) != new.get(k))
  if differ:
    raise cli.usage_error(flag, f"{workdir} holds a run with different "
                          f"{', '.join('--config.' + k for k in differ)}; choose a new "
                          "--" + flag + " or repeat the old settings to resume it.")


def load_run(workdir: str, compute_dtype: str | None = None):
  """(config, model, state) of the run in workdir (its networks computing in compute_dtype
  when given); RunError with the fix when it can't be."""
  path = os.path.join(workdir, "config.json")
  train_first = f"train first with python -m experiments.train --workdir={workdir}."
  first = workdirs.owner(workdir)
  if first and first != "train":
    raise cli.RunError(workdirs.not_a_run(workdir, first))
  try:
    return loop.restore_run(workdir, compute_dtype=compute_dtype)
  except FileNotFoundError as e:
    missing = path if not os.path.exists(path) else f"{workdir}/checkpoints"
    what = "does not exist" if missing == path else "holds no checkpoint"
    raise cli.RunError(f"{missing} {what}; {train_first}") from e
  except (ConfigError, json.JSONDecodeError) as e:
    raise cli.RunError(f"{path} is not a valid training config ({e}); retrain into a new "
                       "--workdir.") from e
