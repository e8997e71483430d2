"""The typed errors the library raises. Each message says what is wrong and how to fix it in
terms of the library's settings; the binaries (experiments/) reword the fix as flags.

  AEError          the base class: every failure the library anticipates
  ConfigError      a bad setting; `field` is its dotted path in the config ("dae.noise_level")
  DataError        a dataset that cannot be loaded; names the file and what is wrong with it
  CheckpointError  a checkpoint that cannot be read; `directory` names it
  DivergedError    training produced a non-finite loss; `epoch` and `value` say when and what
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
  data-directory setting; `worded(name)` fills in how a binary spells it (a flag)."""

  def __init__(self, message: str):
    self.template = message
    super().__init__(self.worded("data_dir"))

  def worded(self, data_dir_setting: str) -> str:
    return self.template.replace("{data_dir}", data_dir_setting)


class CheckpointError(AEError):
  """A checkpoint directory that cannot be read."""

  def __init__(self, directory: str, detail: str):
    super().__init__(f"the checkpoint {directory} cannot be read ({detail})")
    self.directory = directory
    self.detail = detail


class DivergedError(AEError):
  """The training loss became NaN or infinite; no checkpoint of that epoch was written."""

  def __init__(self, epoch: int, value: float):
    super().__init__(f"training diverged: the train loss became {value} in epoch {epoch}")
    self.epoch = epoch
    self.value = value
