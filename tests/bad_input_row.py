"""What every row of the bad-input table shares (tests/bad_inputs.py): the Row type and the
flags that many rows start from."""

from typing import NamedTuple

TRAIN = ("--config=experiments/configs/quick.py:ae", "--config.data.data_dir={data}",
         "--config.train.epochs=1", "--config.train.batch_size=32")

FOLDER = ("--config=experiments/configs/folder.py:native",
          "--config.model.channels=(8,)", "--config.train.epochs=1",
          "--config.train.batch_size=2")


class Row(NamedTuple):
  what: str               # the bad input, in words
  binary: str             # experiments.NAME
  args: tuple             # its flags, with placeholders
  expect: str             # the sentence (the stderr line that starts "FATAL" or "error:")
  setup: str = ""         # a function below that prepares {tmp}
  code: int = 2           # the exit code
  fault: str = ""         # "sigterm", "sigint" (once checkpointed), "sigint_at_start",
                          # "sigterm_at_start", "read_only" (the run's directory), "fsize",
                          # "address_space" (8 GB of virtual memory)

IMAGES = (*FOLDER, "--config.data.data_dir={tmp}/imgs", "--workdir={tmp}/w")

