"""A quick run of any model's preset: a slice of the data, small widths, two epochs.

  python -m experiments.train --config=experiments/configs/quick.py:dae --workdir=runs/q
"""

import importlib


def get_config(model: str = "ae"):
  config = importlib.import_module(f"experiments.configs.{model}").get_config()
  config.model.hidden = (64,)
  config.data.max_train_examples = 4096
  config.data.max_test_examples = 1000
  config.train.epochs = 2
  config.train.batch_size = 32
  config.train.learning_rate = 3e-3
  return config
