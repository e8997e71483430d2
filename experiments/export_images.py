r"""Writes a dataset as a folder of PNG files, the layout `--config.data.dataset=folder` reads:
OUT/train/CLASS/NNNNN.png and OUT/test/CLASS/NNNNN.png (unlabelled data: no CLASS level).

The fixture of the user-data path is Fashion-MNIST at 32x32 in colour (each grey image tinted by
a colour of its own, drawn with --colour_seed, so the three channels differ):

  python -m experiments.export_images --dataset=fashion_mnist --out=runs/fashion_png \
      --image_size=32 --colour_seed=0 --max_train=10000 --max_test=2000

The files are written under OUT.partial and renamed to OUT once all are there: an interrupted
export leaves no OUT behind (run the same command again).
"""

import os
import shutil

from absl import flags

from ae import data
from ae.data import user_images
from experiments import cli

DATASET = flags.DEFINE_enum("dataset", "fashion_mnist", [
    d for d in data.DATASETS if d not in data.USER_SOURCES], "The dataset to export.")
DATA_DIR = flags.DEFINE_string("data_dir", None, "IDX directory (as for training).")
OUT = flags.DEFINE_string("out", None, "The directory to create.")
IMAGE_SIZE = flags.DEFINE_integer("image_size", None, "Resize to this square size.")
COLOUR_SEED = flags.DEFINE_integer("colour_seed", None, "Tint grey images into RGB with colours "
                                   "drawn with this seed (none: keep them grey).")
MAX_TRAIN = flags.DEFINE_integer("max_train", None, "Training images to export (all if unset).")
MAX_TEST = flags.DEFINE_integer("max_test", None, "Test images to export (all if unset).")
for _name in ("image_size", "max_train", "max_test"):
  cli.require_positive(_name)
cli.require_positive("colour_seed", strict=False)


def main(argv):
  del argv
  out = OUT.value
  if not out:
    raise cli.usage_error("out", "is required: name the directory to create.")
  if os.path.exists(out):
    raise cli.usage_error("out", f"{out} already exists; choose a new directory (an export "
                          "never writes into an existing one).")
  partial = out.rstrip(os.sep) + ".partial"
  shutil.rmtree(partial, ignore_errors=True)   # an interrupted export's files
  cli.prepare_workdir(partial, "out", lock=False)
  for split, limit in (("train", MAX_TRAIN.value), ("test", MAX_TEST.value)):
    s = data.load(DATASET.value, split, DATA_DIR.value, max_examples=limit,
                  size=IMAGE_SIZE.value)
    user_images.write_folder(s, os.path.join(partial, split), COLOUR_SEED.value)
    print(f"{split}: {s.size} images of shape {s.spec.shape}")
  os.replace(partial, out)
  print(f"wrote {out}")


if __name__ == "__main__":
  cli.run(main)
