"""Datasets through tensorflow-datasets (downloaded when online; tests use tfds.testing.mock_data).

  mnist, fashion_mnist     28x28 grey, 10 classes
  binarized_mnist          28x28 binary (Larochelle and Murray's fixed binarization, as the flax
                           example's VAE uses), unlabelled; its validation split is not used
  cifar10, svhn_cropped    32x32 RGB, 10 classes
  celeb_a                  the usual 148x148 centre crop of the 218x178 faces, resized to 64x64
                           (or to config.data.image_size), unlabelled

Class names come from the builder's label feature; the images are uint8 [N, H, W, C] whatever
the source (binarized_mnist's 0/1 pixels become 0/255, so `preprocess` gives 0 and 1).
"""

import logging
from typing import Optional

import numpy as np

from ae.data.split import Split
from ae.errors import DataError

DATASETS = ("mnist", "fashion_mnist", "binarized_mnist", "cifar10", "svhn_cropped", "celeb_a")
CELEB_A_CROP = 148          # the centre crop of DCGAN-era and VAE papers' CelebA
CELEB_A_SIZE = 64


def _is_network_error(e: BaseException) -> bool:
  """A failure of the network layer (requests' or the standard library's), anywhere in the
  chain of causes tfds wraps it in."""
  seen = set()
  while e is not None and id(e) not in seen:
    seen.add(id(e))
    if type(e).__module__.startswith(("requests", "urllib3")) or isinstance(
        e, (ConnectionError, TimeoutError)):
      return True
    e = e.__cause__ or e.__context__
  return False


def _celeb_a_map(size: int):
  import tensorflow as tf

  def crop(example):
    image = example["image"]
    h, w = tf.shape(image)[0], tf.shape(image)[1]
    c = CELEB_A_CROP
    top, left = (h - c) // 2, (w - c) // 2
    image = tf.image.crop_to_bounding_box(image, top, left, c, c)
    image = tf.image.resize(image, (size, size), method="area", antialias=True)
    return {"image": tf.cast(tf.clip_by_value(tf.round(image), 0, 255), tf.uint8)}
  return crop


def load_tfds(name: str, split: str, tfds_data_dir: Optional[str] = None,
              image_size: Optional[tuple] = None) -> Split:
  """Loads a split through tensorflow-datasets (downloads it when online)."""
  import tensorflow_datasets as tfds  # Imported lazily: TF costs seconds of start-up.
  tfds.disable_progress_bar()
  # urllib3 logs a warning per retry of every file when the network is down (40 lines here);
  # the one sentence below says it.
  logging.getLogger("urllib3").setLevel(logging.ERROR)
  try:
    ds, info = tfds.load(name, split=split, data_dir=tfds_data_dir, shuffle_files=False,
                         with_info=True)
    label = info.features["label"] if "label" in info.features else None
    if name == "celeb_a":
      ds = ds.map(_celeb_a_map(image_size[0] if image_size else CELEB_A_SIZE))
    images, labels = [], []
    # Batched iteration: fast, and unlike tfds.load(batch_size=-1) it works with mock_data.
    for batch in tfds.as_numpy(ds.batch(4096)):
      images.append(batch["image"])
      if label is not None:
        labels.append(batch["label"])
  except Exception as e:  # tfds raises many types (network, missing builder files, ...).
    first_line = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
    if _is_network_error(e):
      first_line = f"no network: {first_line[:300]}"
    hint = ("apt-get install dataset-fashion-mnist, or " if name == "fashion_mnist" else "")
    offline = ("set {data_dir} (or AE_DATA_DIR) to a directory of IDX files"
               if name in ("mnist", "fashion_mnist") else
               "run once online, or save the images as PNG files and use "
               "{config}data.dataset=folder")
    raise DataError(
        f"{name}/{split} is not available offline and tfds could not download it ({first_line}); "
        f"{hint}{offline}.") from e
  if not images:
    raise DataError(f"tfds returned no examples for {name}/{split}; check the tfds data_dir.")
  images = np.concatenate(images).astype(np.uint8)
  if name == "binarized_mnist":   # its pixels are 0 and 1
    images = np.where(images > 0, np.uint8(255), np.uint8(0))
  if label is not None:
    labels = np.concatenate(labels).astype(np.int32)
    names = tuple(label.names)
  else:
    labels, names = np.full((images.shape[0],), -1, np.int32), ()
  return Split(images, labels, f"tfds:{name}", names)
