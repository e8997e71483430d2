"""The typed errors the library raises. Each message says what is wrong and how to fix it in
terms of the library's settings; the binaries (experiments/) reword the fix as flags.

  AEError          the base class: every failure the library anticipates
  ConfigError      a bad setting; `field` is its dotted path in the config ("dae.noise_level")
  DataError        a dataset that cannot be loaded; names the file and what is wrong with it
  CheckpointError  a checkpoint that cannot be read; `directory` names it
  DivergedError    training diverged (ae.training.divergence states the rule); `epoch`,
                   `value` and `reason` say when, what and why
  MismatchError    a checkpoint of another model (other shapes) than the config describes
  DataMismatchError  the data loaded now is not the data a run was trained on
  OutputError      an output could not be written (full disk, read-only); `path` names it
  ResultError      a result that is not a finite number; nothing is written
  Interrupted      SIGINT or SIGTERM arrived (a KeyboardInterrupt, so `except Exception`
                   never swallows it); `signal_name` names it
"""


class AEError(Exception):
  """Any failure the library anticipates; the message names the fix."""


class ConfigError(AEError, ValueError):
  """A bad setting. `field` is its dotted config path; `message` says what is wrong."""

  def __init__(self, field: str, message: str):
    super().__init__(f"{field}: {message}")
    self.field = field
    self.message = message


class DataError(AEError):
  """A dataset that cannot be loaded. The message may hold `{data_dir}` where the fix names the
  data-directory setting, and `{config}` before a config field; `worded` fills in how a binary
  spells them (flags)."""

  def __init__(self, message: str):
    self.template = message
    super().__init__(self.worded("data_dir"))

  def worded(self, data_dir_setting: str, config_prefix: str = "--config.") -> str:
    """The message with `{data_dir}` as data_dir_setting and `{config}` (a config field's
    prefix: "{config}data.image_size") as config_prefix."""
    return self.template.replace("{data_dir}", data_dir_setting).replace("{config}",
                                                                          config_prefix)


class CheckpointError(AEError):
  """A checkpoint directory that cannot be read."""

  def __init__(self, directory: str, detail: str):
    super().__init__(f"the checkpoint {directory} cannot be read ({detail})")
    self.directory = directory
    self.detail = detail


class DivergedError(AEError):
  """Training diverged (see ae.training.divergence); no checkpoint of that epoch was written."""

  def __init__(self, epoch: int, value: float, reason: str = ""):
    reason = reason or f"the train loss became {value}"
    super().__init__(f"training diverged in epoch {epoch}: {reason}")
    self.epoch = epoch
    self.value = value
    self.reason = reason


class MismatchError(AEError):
  """A checkpoint holds other shapes than the configured model; `differences` lists them."""

  def __init__(self, directory: str, differences: list):
    shown = "; ".join(differences[:3]) + ("; ..." if len(differences) > 3 else "")
    super().__init__(f"the checkpoint {directory} holds a model of other shapes than the "
                     f"config describes ({shown})")
    self.directory = directory
    self.differences = differences


class DataMismatchError(AEError):
  """The data loaded now is not the data a run was trained on (their fingerprints differ)."""

  def __init__(self, workdir: str, recorded: dict, found: dict):
    super().__init__(f"the data loaded from {found.get('source')} (fingerprint "
                     f"{str(found.get('fingerprint'))[:12]}) is not the data {workdir} was "
                     f"trained on ({recorded.get('source')}, fingerprint "
                     f"{str(recorded.get('fingerprint'))[:12]})")
    self.workdir, self.recorded, self.found = workdir, recorded, found


class OutputError(AEError):
  """An output could not be written; `reason` is the system's word (No space left on device)."""

  def __init__(self, path: str, reason: str):
    super().__init__(f"{path} could not be written ({reason})")
    self.path = path
    self.reason = reason


class ResultError(AEError):
  """A computed result is not a finite number; `name` is its key."""

  def __init__(self, name: str, value):
    super().__init__(f"the result {name} is {value}, not a finite number, so nothing was "
                     "written")
    self.name = name
    self.value = value


class Interrupted(KeyboardInterrupt):
  """The process received SIGINT or SIGTERM (how TPU pods preempt); `signal_name` names it."""

  def __init__(self, signal_name: str = "SIGINT"):
    super().__init__(signal_name)
    self.signal_name = signal_name
