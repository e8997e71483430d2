"""Flags and helpers shared by the chapter binaries: workdir, seed and the real data rows."""

from absl import flags
import jax.numpy as jnp

from ae import data

WORKDIR = flags.DEFINE_string("workdir", None, "Directory for config.json, metrics and figures.")
SEED = flags.DEFINE_integer("seed", 0, "PRNG seed.")
DATASET = flags.DEFINE_enum("dataset", "fashion_mnist", data.IDX_DATASETS, "Dataset to use.")
DATA_DIR = flags.DEFINE_string(
    "data_dir", None, "Directory of IDX files (or of DATASET/ sub-directories); default: "
    "$AE_DATA_DIR, then Debian's dataset-fashion-mnist, then tfds.")


MAX_WIDTH = 8192   # Hidden widths beyond this only exhaust memory on the machines we target.
MAX_DEPTH = 256


def check_mlp_memory(width: int, depth: int, rows: int, itemsize: int = 4, copies: int = 4,
                     pixels: int = 784) -> None:
  """Refuses (naming --width) an MLP of `depth` weight layers of `width` units whose parameters
  (`copies` of them: the weights, a gradient, a tangent, a perturbed copy) and activations over
  `rows` rows cannot fit in the free memory."""
  from experiments import cli
  from ae.training import memory
  params = pixels * width + max(depth - 2, 0) * width * width + width * pixels
  needed = itemsize * (copies * params + 4 * rows * width * depth)
  said = memory.shortfall(needed, f"{depth} layers of {width} units, {params:.3g} weights")
  if said:
    raise cli.usage_error("width", f"{width} {said}; lower it (or --depth).")


def rows(split: str, count: int, flag: str = "rows"):
  """`count` real rows of the dataset: float32 pixels [count, 784] in [0, 1] and int labels.
  More rows than the split has is a usage error naming --`flag`."""
  s = data.load(DATASET.value, split, DATA_DIR.value)
  if count > s.size:
    from experiments import cli
    raise cli.usage_error(flag, f"{count} is more than the {s.size} {split} images of "
                          f"{DATASET.value} in {s.source}; lower it.")
  s = s.head(count)
  return data.flatten(data.to_float(s.images)), jnp.asarray(s.labels), s.source
