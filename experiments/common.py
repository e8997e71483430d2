"""Flags and helpers shared by the chapter binaries: workdir, seed and the real data rows."""

from absl import flags
import jax.numpy as jnp

from ae import data

WORKDIR = flags.DEFINE_string("workdir", None, "Directory for config.json, metrics and figures.")
SEED = flags.DEFINE_integer("seed", 0, "PRNG seed.")
DATASET = flags.DEFINE_enum("dataset", "fashion_mnist", data.DATASETS, "Dataset to use.")
DATA_DIR = flags.DEFINE_string(
    "data_dir", None, "Directory of IDX files (or of DATASET/ sub-directories); default: "
    "$AE_DATA_DIR, then Debian's dataset-fashion-mnist, then tfds.")


def rows(split: str, count: int):
  """`count` real rows of the dataset: float32 pixels [count, 784] in [0, 1] and int labels."""
  s = data.load(DATASET.value, split, DATA_DIR.value, max_examples=count)
  return data.flatten(data.to_float(s.images)), jnp.asarray(s.labels), s.source
