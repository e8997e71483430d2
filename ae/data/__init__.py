"""Image datasets as arrays, from any source, plus the usual preprocessing.

`load(name, split, ...)` returns a `Split` (ae.data.split) of uint8 images [N, H, W, C], int32
labels [N] and the class names; its `spec` (the image shape and the classes) is what models are
built from. The sources, one file each:

  ae.data.idx           the MNIST family's IDX files: `data_dir` (config.data.data_dir) or the
                        AE_DATA_DIR environment variable, the files in it or in DIR/mnist/,
                        DIR/fashion_mnist/; then Debian's `dataset-fashion-mnist` package
                        (/usr/share/datasets/fashion-mnist) for fashion_mnist. A directory given
                        is the only source used: a wrong one is an error, never a download.
  ae.data.tfds_source   tensorflow-datasets (mnist and fashion_mnist when no IDX files are
                        found, binarized_mnist, cifar10, svhn_cropped, celeb_a)
  ae.data.user_images   the user's own: `folder` (PNG/JPEG files, one sub-directory per class)
                        and `npz` (arrays)

Any source's images are resized to `image_size` and made grey or RGB by `channels` when those
are given. Every problem raises `ae.errors.DataError` with one sentence that names the file and
the fix.

A `Split` is the one type from loading to the training loop: on the host (numpy) after `load`, on
the devices (jax arrays, placed by the training core) afterwards. `preprocess` is the one way its
uint8 images become model inputs, in training and in evaluation alike.
"""

import hashlib
import os
from typing import Optional

import jax
import jax.numpy as jnp
import numpy as np

from ae.data import tfds_source, user_images
from ae.data.idx import (CLASS_NAMES, IMAGE_SHAPE, check_identity, idx_filenames,  # noqa: F401
                         load_idx_dir, read_idx, resolve_data_dir, write_idx)
from ae.data.split import Spec, Split, digit_names  # noqa: F401
from ae.data.tfds_source import load_tfds  # noqa: F401
from ae.errors import DataError

USER_SOURCES = ("folder", "npz")
DATASETS = tfds_source.DATASETS + USER_SOURCES
IDX_DATASETS = ("mnist", "fashion_mnist")
SPLITS = ("train", "test")
DEBIAN_DIRS = {"fashion_mnist": "/usr/share/datasets/fashion-mnist"}
BINARIZE = ("none", "dynamic", "fixed")
FIXED_BINARIZATION_SEED = 1234   # The test split of a binarized run: one sample, always the same.

__all__ = ["DataError", "Spec", "Split", "load", "preprocess"]


def image_size(value) -> Optional[tuple]:
  """config.data.image_size (None, an int, or (H, W)) as None or (H, W)."""
  if value is None:
    return None
  return (int(value), int(value)) if isinstance(value, int) else tuple(int(v) for v in value)


def load(name: str, split: str, data_dir: Optional[str] = None,
         max_examples: Optional[int] = None, size=None, channels: Optional[int] = None,
         test_fraction: float = 0.1, split_seed: int = 0) -> Split:
  """Returns `split` of dataset `name` as uint8 images [N, H, W, C], int32 labels [N] and class
  names: resized to `size` ((H, W) or an int) and converted to `channels` when given."""
  if name not in DATASETS:
    raise ValueError(f"unknown dataset {name!r}; choose one of {', '.join(DATASETS)}.")
  if split not in SPLITS:
    raise ValueError(f"unknown split {split!r}; choose one of {', '.join(SPLITS)}.")
  size = image_size(size)
  if name in USER_SOURCES:
    loader = user_images.load_folder if name == "folder" else user_images.load_npz
    return loader(data_dir, split, size, channels, test_fraction, split_seed).head(max_examples)
  directory = resolve_data_dir(name, data_dir) if name in IDX_DATASETS else None
  if directory is None and name in DEBIAN_DIRS and os.path.isdir(DEBIAN_DIRS[name]):
    directory = DEBIAN_DIRS[name]
  if directory:
    result = load_idx_dir(directory, split, max_examples, CLASS_NAMES[name])
  else:
    result = load_tfds(name, split, image_size=size)
  if name in IDX_DATASETS:
    check_identity(name, split, result)
  result = result.head(max_examples)
  if size is not None or channels is not None:
    result = result.replace(images=user_images.convert(result.images, size, channels))
  return result


def fingerprint(*splits: Split) -> str:
  """SHA-256 (hex) of the splits' images, labels and shapes: the same data, the same value."""
  digest = hashlib.sha256()
  for s in splits:
    for array in (s.images, s.labels):
      array = np.ascontiguousarray(np.asarray(array))
      digest.update(f"{array.dtype}{array.shape}".encode())
      digest.update(array.tobytes())
  return digest.hexdigest()


def labelled_indices(labels, num_labels: int, seed: int,
                     num_classes: Optional[int] = None) -> np.ndarray:
  """Sorted indices of num_labels / num_classes examples of each class (num_classes: the
  largest label + 1 unless given), drawn without
  replacement with `seed`: the labelled images of a semi-supervised run (the rest are treated as
  unlabelled). The same (labels, num_labels, seed) give the same indices everywhere."""
  labels = np.asarray(labels)
  num_classes = int(labels.max()) + 1 if num_classes is None else num_classes
  per_class = num_labels // num_classes
  rng = np.random.default_rng(seed)
  chosen = []
  for c in range(num_classes):
    members = np.flatnonzero(labels == c)
    if members.size < per_class:
      from ae.errors import ConfigError
      raise ConfigError("data.num_labels", f"the training split has {members.size} images of "
                        f"class {c}, fewer than the {per_class} labelled ones asked for; lower "
                        "it.")
    chosen.append(rng.choice(members, per_class, replace=False))
  return np.sort(np.concatenate(chosen))


def split_holdout(indices, labels, holdout: int, num_classes: Optional[int] = None) -> tuple:
  """(kept, held out): of each class's labelled indices (sorted), the last holdout / num_classes
  are held out, to choose a setting (the number of epochs) without any label beyond the drawn
  ones; the model trains on the kept ones only."""
  indices, labels = np.asarray(indices), np.asarray(labels)
  num_classes = int(labels.max()) + 1 if num_classes is None else num_classes
  per_class = holdout // num_classes
  held = []
  for c in range(num_classes):
    mine = np.sort(indices[labels[indices] == c])
    held.append(mine[max(len(mine) - per_class, 0):])
  held = np.sort(np.concatenate(held))
  return np.setdiff1d(indices, held), held


def labelled_subset(split: Split, num_labels: int, seed: int, holdout: int = 0) -> tuple:
  """(uint8 images, labels) of the labelled images of a semi-supervised run, on the host, less
  the `holdout` ones (`split_holdout`)."""
  labels, k = np.asarray(split.labels), split.spec.num_classes or None
  idx = split_holdout(labelled_indices(labels, num_labels, seed, k), labels, holdout, k)[0]
  return np.asarray(split.images)[idx], labels[idx]


# ----------------------------------------------------------------------------- preprocessing


def to_float(images) -> jnp.ndarray:
  """uint8 pixels -> float32 in [0, 1]."""
  return jnp.asarray(images, jnp.float32) / 255.0


def flatten(x) -> jnp.ndarray:
  """[N, ...] -> [N, D]."""
  return jnp.reshape(x, (x.shape[0], -1))


def binarize_dynamic(key: jax.Array, x: jnp.ndarray) -> jnp.ndarray:
  """A fresh Bernoulli sample per call: pixel ~ Bernoulli(intensity), x in [0, 1]."""
  return jax.random.bernoulli(key, x).astype(x.dtype)


def binarize_fixed(x: jnp.ndarray, seed: int = 0) -> jnp.ndarray:
  """One Bernoulli sample drawn with a fixed seed: the same binary images on every call."""
  return binarize_dynamic(jax.random.PRNGKey(seed), x)


def preprocess(images, binarize: str = "none", rng: Optional[jax.Array] = None) -> jnp.ndarray:
  """uint8 images [N, ...] -> model inputs float32 [N, D] in [0, 1].

  binarize: "none" keeps gray levels; "dynamic" draws a fresh Bernoulli sample with `rng` (each
  training batch); "fixed" draws one sample with FIXED_BINARIZATION_SEED (the test split, once).
  """
  x = flatten(to_float(images))
  if binarize == "dynamic":
    return binarize_dynamic(rng, x)
  if binarize == "fixed":
    return binarize_fixed(x, FIXED_BINARIZATION_SEED)
  if binarize != "none":
    raise ValueError(f"unknown binarization {binarize!r}; choose one of {', '.join(BINARIZE)}.")
  return x
