"""The user's own images: a directory of PNG/JPEG files, or an .npz file of arrays.

  folder   config.data.data_dir is a directory. With `train/` and `test/` sub-directories those
           are the splits; otherwise every image is one pool, and a seeded fraction of it
           (config.data.test_fraction, config.data.split_seed) is held out as the test split.
           In a split's directory, sub-directories are classes (their sorted names are the class
           names, their images its labels); image files directly in it make unlabelled data.
           Every file must decode whole (PIL); a truncated or unreadable image is named.
  npz      config.data.data_dir is an .npz file with `images` uint8 [N, H, W, C] (or [N, H, W]),
           optional `labels` int [N] and `class_names` [K]; optional `test_images` and
           `test_labels` give the test split (otherwise the seeded fraction, as above).

Images are resized to config.data.image_size (H, W) when it is set (by PIL: the BOX filter, an
area average, when shrinking; BICUBIC when growing), and made grey or RGB by
config.data.channels; without image_size every image must have the same
size, and without channels the data is RGB when any file is. The split is made once per call,
the same for the same (files, fraction, seed): a run resumes on the same examples, and
`ae.data.fingerprint` refuses other data.
"""

import contextlib
import os
from typing import Optional

import numpy as np

from ae.data.split import Split
from ae.errors import DataError

EXTENSIONS = (".png", ".jpg", ".jpeg")
GREY_MODES = ("1", "L", "LA", "I", "I;16", "F")


def _image_files(directory: str) -> list:
  return sorted(os.path.join(directory, f) for f in os.listdir(directory)
                if f.lower().endswith(EXTENSIONS) and os.path.isfile(os.path.join(directory, f)))


def _scan(directory: str) -> tuple[list, np.ndarray, tuple]:
  """(files, labels, class names) of one split's directory."""
  subdirs = sorted(d for d in os.listdir(directory)
                   if os.path.isdir(os.path.join(directory, d)) and not d.startswith("."))
  direct = _image_files(directory)
  if subdirs and direct:
    raise DataError(f"{directory} holds both image files ({os.path.basename(direct[0])}, ...) "
                    f"and class sub-directories ({subdirs[0]}, ...); put every image in its "
                    "class's sub-directory, or remove the sub-directories for unlabelled data.")
  if not subdirs:
    return direct, np.full((len(direct),), -1, np.int32), ()
  files, labels = [], []
  for c, sub in enumerate(subdirs):
    mine = _image_files(os.path.join(directory, sub))
    if not mine:
      raise DataError(f"{os.path.join(directory, sub)} holds no PNG or JPEG files, so class "
                      f"{sub!r} would have no images; add its images or remove the directory.")
    files += mine
    labels += [c] * len(mine)
  return files, np.asarray(labels, np.int32), tuple(subdirs)


@contextlib.contextmanager
def _opened(path: str, whole: bool):
  """The PIL image of path, closed afterwards; whole=True decodes every pixel (a truncated file
  fails here, not later), whole=False reads the header only. An unreadable file is named."""
  from PIL import Image, UnidentifiedImageError
  try:
    image = Image.open(path)
    if whole:
      image.load()
  except (OSError, UnidentifiedImageError, ValueError, SyntaxError) as e:
    raise DataError(f"{path} is not a readable image ({str(e).strip() or type(e).__name__}); "
                    "replace it or delete it.") from e
  with image:
    yield image


def _as_array(image, size: Optional[tuple], channels: int) -> np.ndarray:
  from PIL import Image
  image = image.convert("L" if channels == 1 else "RGB")
  if size is not None and image.size != (size[1], size[0]):
    shrink = size[0] * size[1] < image.size[0] * image.size[1]
    image = image.resize((size[1], size[0]),
                         Image.Resampling.BOX if shrink else Image.Resampling.BICUBIC)
  array = np.asarray(image, np.uint8)
  return array[..., None] if channels == 1 else array


def _survey(files: list, size: Optional[tuple], channels: Optional[int]) -> int:
  """The channel count to decode all of a source's files with (RGB when any file is, unless
  `channels` says), after checking from their headers that without `size` they share one size.
  Every file of the source is looked at, so the training and test splits agree."""
  modes, first = set(), None
  for f in files:
    with _opened(f, whole=False) as im:
      mode, dims = im.mode, im.size
    modes.add(mode)
    if size is None:
      if first is None:
        first = (f, dims)
      elif dims != first[1]:
        w0, h0 = first[1]
        raise DataError(f"{f} is {dims[0]} wide and {dims[1]} high but {first[0]} is {w0} wide "
                        f"and {h0} high; set "
                        "{config}data.image_size to resize them all (such as "
                        f"{{config}}data.image_size={min(w0, h0)}).")
  if channels is not None:
    return channels
  return 3 if any(m not in GREY_MODES for m in modes) else 1


def _decode(files: list, size: Optional[tuple], channels: int) -> np.ndarray:
  """uint8 [N, H, W, C] of the files, each decoded whole."""
  out = []
  for f in files:
    with _opened(f, whole=True) as im:
      out.append(_as_array(im, size, channels))
  return np.stack(out)


def held_out(n: int, fraction: float, seed: int) -> np.ndarray:
  """A boolean mask of the n examples held out as the test split: round(fraction n) of them
  (at least one), drawn with `seed`; the same arguments always give the same mask."""
  count = min(max(1, int(round(fraction * n))), n - 1)
  mask = np.zeros(n, bool)
  mask[np.random.default_rng(seed).choice(n, count, replace=False)] = True
  return mask


def _pick(images, labels, split: str, fraction: float, seed: int, what: str):
  if images.shape[0] < 2:
    raise DataError(f"{what} holds {images.shape[0]} image(s); a training and a test split "
                    "need at least 2.")
  mask = held_out(images.shape[0], fraction, seed)
  keep = mask if split == "test" else ~mask
  return images[keep], labels[keep]


def load_folder(directory: str, split: str, size: Optional[tuple], channels: Optional[int],
                fraction: float, seed: int) -> Split:
  if not directory:
    raise DataError("data.dataset=folder reads a directory of images; set {data_dir} to it.")
  if not os.path.isdir(directory):
    raise DataError(f"image directory {directory} does not exist; fix {{data_dir}}.")
  has_splits = all(os.path.isdir(os.path.join(directory, s)) for s in ("train", "test"))
  where = os.path.join(directory, split) if has_splits else directory
  files, labels, names = _scan(where)
  if not files:
    raise DataError(f"{where} holds no PNG or JPEG files (nor class sub-directories of them); "
                    "put the images there or fix {data_dir}.")
  every = (_scan(os.path.join(directory, "train"))[0] + _scan(os.path.join(directory, "test"))[0]
           if has_splits else files)
  channels = _survey(every, size, channels)
  if has_splits:
    return Split(_decode(files, size, channels), labels, f"folder:{directory}", names)
  if len(files) < 2:
    raise DataError(f"{where} holds 1 image; a training and a test split need at least 2.")
  # The split is drawn over file names, so only the kept files are decoded.
  mask = held_out(len(files), fraction, seed)
  keep = mask if split == "test" else ~mask
  chosen = [f for f, k in zip(files, keep) if k]
  return Split(_decode(chosen, size, channels), labels[keep], f"folder:{directory}", names)


def _images_array(path: str, array, key: str) -> np.ndarray:
  array = np.asarray(array)
  if array.ndim == 3:
    array = array[..., None]
  if array.ndim != 4 or array.shape[-1] not in (1, 3) or array.shape[0] == 0:
    raise DataError(f"{path}'s {key!r} has shape {array.shape}; it must be [N, H, W, C] (or "
                    "[N, H, W]) with N >= 1 and C = 1 or 3.")
  if array.dtype != np.uint8:
    if not np.issubdtype(array.dtype, np.integer) or array.min() < 0 or array.max() > 255:
      raise DataError(f"{path}'s {key!r} holds {array.dtype} values; save 8-bit pixels as "
                      "uint8 in 0-255.")
    array = array.astype(np.uint8)
  return array


def _labels_array(path: str, npz, key: str, n: int) -> np.ndarray:
  if key not in npz:
    return np.full((n,), -1, np.int32)
  labels = np.asarray(npz[key])
  if labels.shape != (n,) or not np.issubdtype(labels.dtype, np.integer):
    raise DataError(f"{path}'s {key!r} has shape {labels.shape} and type {labels.dtype}, but "
                    f"there are {n} images; it must be {n} integers, one per image.")
  if labels.min() < 0:
    raise DataError(f"{path}'s {key!r} holds the negative label {labels.min()}; labels are "
                    "0, 1, ..., K - 1.")
  return labels.astype(np.int32)


def convert(images, size, channels) -> np.ndarray:
  """uint8 [N, H, W, C] images with `channels` channels (None: as they are) at `size` (H, W)
  (None: as they are)."""
  from PIL import Image
  if channels is not None and channels != images.shape[-1]:
    if channels == 1:   # ITU-R 601 luma, as PIL's convert("L")
      images = np.round(images.astype(np.float32) @ np.asarray([0.299, 0.587, 0.114]))
      images = np.clip(images, 0, 255).astype(np.uint8)[..., None]
    else:
      images = np.repeat(images, 3, axis=-1)
  if size is None or tuple(images.shape[1:3]) == tuple(size):
    return images
  mode = "L" if images.shape[-1] == 1 else "RGB"
  return np.stack([_as_array(Image.fromarray(im[..., 0] if mode == "L" else im, mode), size,
                             images.shape[-1]) for im in images])


def load_npz(path: str, split: str, size: Optional[tuple], channels: Optional[int],
             fraction: float, seed: int) -> Split:
  if not path:
    raise DataError("data.dataset=npz reads an .npz file of images; set {data_dir} to it.")
  if not os.path.isfile(path):
    raise DataError(f"{path} does not exist (data.dataset=npz reads an .npz file); fix "
                    "{data_dir}.")
  import zipfile
  try:
    npz = np.load(path, allow_pickle=False)
    keys = set(npz.files)
  except (OSError, ValueError, zipfile.BadZipFile, EOFError) as e:
    raise DataError(f"{path} is not a readable .npz file ({e}); save it with numpy.savez.") from e
  if "images" not in keys:
    raise DataError(f"{path} has no 'images' array (it has {', '.join(sorted(keys)) or 'none'}); "
                    "save the images under that name.")
  try:
    if "test_images" in keys:
      key = "test_images" if split == "test" else "images"
      images = _images_array(path, npz[key], key)
      labels = _labels_array(path, npz, "test_labels" if split == "test" else "labels",
                             images.shape[0])
    else:
      images = _images_array(path, npz["images"], "images")
      labels = _labels_array(path, npz, "labels", images.shape[0])
      images, labels = _pick(images, labels, split, fraction, seed, path)
    names = (tuple(str(n) for n in npz["class_names"]) if "class_names" in keys else ())
  except (ValueError, zipfile.BadZipFile, EOFError, OSError) as e:
    raise DataError(f"{path} is truncated or damaged ({e}); save it again.") from e
  has_labels = labels.size and labels.min() >= 0
  if has_labels and not names:
    names = tuple(str(i) for i in range(int(labels.max()) + 1))
  if has_labels and labels.max() >= len(names):
    raise DataError(f"{path} holds label {labels.max()} but {len(names)} class names; give one "
                    "name per class.")
  return Split(convert(images, size, channels), labels, f"npz:{path}",
               names if has_labels else ())


def write_folder(split: Split, directory: str, colour_seed: Optional[int] = None) -> None:
  """Writes a split as PNG files, one sub-directory per class (DIR/CLASS/NNNNN.png; unlabelled
  images directly in DIR), the layout `load_folder` reads. With colour_seed, grey images are
  tinted into RGB, each by its own colour drawn with that seed (so every channel differs)."""
  from PIL import Image
  images = np.asarray(split.images)
  labels = np.asarray(split.labels)
  if colour_seed is not None and images.shape[-1] == 1:
    rng = np.random.default_rng(colour_seed)
    tint = rng.uniform(0.25, 1.0, (images.shape[0], 1, 1, 3))
    images = np.round(images.astype(np.float32) * tint).astype(np.uint8)
  names = [n.replace("/", "_") for n in split.class_names]
  for i, (image, label) in enumerate(zip(images, labels)):
    where = os.path.join(directory, names[label]) if names else directory
    os.makedirs(where, exist_ok=True)
    mode = "L" if image.shape[-1] == 1 else "RGB"
    Image.fromarray(image[..., 0] if mode == "L" else image, mode).save(
        os.path.join(where, f"{i:05d}.png"))
