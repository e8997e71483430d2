"""The MNIST family's IDX files: reading, validating (gzip stream, magic number, element type,
rank, 28x28 shape, counts, truncation), writing (for tests), and the files of one dataset given
under the other's name. Every problem raises `DataError` with one sentence naming the file and
the fix.
"""

import gzip
import hashlib
import os
import struct
import zlib
from typing import Optional

import numpy as np

from ae.data.split import Split
from ae.errors import DataError

_PREFIX = {"train": "train", "test": "t10k"}
IMAGE_SHAPE = (28, 28, 1)
CLASS_NAMES = {
    "mnist": tuple(str(i) for i in range(10)),
    "fashion_mnist": ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
                      "Sneaker", "Bag", "Ankle boot"),
}


def idx_filenames(split: str) -> tuple[str, str]:
  """The canonical (images, labels) IDX file names of a split, without `.gz`."""
  prefix = _PREFIX[split]
  return f"{prefix}-images-idx3-ubyte", f"{prefix}-labels-idx1-ubyte"


# ----------------------------------------------------------------------------- IDX files


def write_idx(path: str, array: np.ndarray) -> None:
  """Writes a uint8 array as an IDX file (gzipped when `path` ends in .gz); used by tests."""
  array = np.ascontiguousarray(array, dtype=np.uint8)
  header = bytes([0, 0, 0x08, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
  opener = gzip.open if path.endswith(".gz") else open
  with opener(path, "wb") as f:
    f.write(header + array.tobytes())


def _read_bytes(path: str) -> bytes:
  try:
    if path.endswith(".gz"):
      with gzip.open(path, "rb") as f:
        return f.read()
    with open(path, "rb") as f:
      return f.read()
  except (OSError, EOFError, zlib.error) as e:
    raise DataError(
        f"{path} is not a readable gzip/IDX file ({e}); delete it and download it again.") from e


def _read_head(path: str, rank: int, max_items: int) -> Optional[np.ndarray]:
  """The first max_items items of an IDX file without reading the rest, or None when that is
  not safe (fewer items, or a size that disagrees with the header: `read_idx` then reads the
  whole file and names the fault). The whole size comes from the file system, or from a gzip
  file's ISIZE trailer (its uncompressed size modulo 2^32)."""
  header_len = 4 + 4 * rank
  try:
    if path.endswith(".gz"):
      with open(path, "rb") as f:
        f.seek(-4, os.SEEK_END)
        total = struct.unpack("<I", f.read(4))[0]
    else:
      total = os.path.getsize(path)
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
      header = f.read(header_len)
      if len(header) < header_len or header[:3] != b"\x00\x00\x08" or header[3] != rank:
        return None
      shape = struct.unpack(f">{rank}I", header[4:])
      item = int(np.prod(shape[1:]))
      if max_items >= shape[0] or (header_len + shape[0] * item) % 2 ** 32 != total:
        return None
      body = f.read(max_items * item)
  except (OSError, EOFError, zlib.error):
    return None
  if len(body) < max_items * item or (rank == 3 and shape[1:] != IMAGE_SHAPE[:2]):
    return None
  return np.frombuffer(body, dtype=np.uint8).reshape((max_items, *shape[1:]))


def _item_count(path: str) -> Optional[int]:
  """The item count in an IDX file's header (None when unreadable: `read_idx` says why)."""
  try:
    with (gzip.open if path.endswith(".gz") else open)(path, "rb") as f:
      header = f.read(8)
  except (OSError, EOFError, zlib.error):
    return None
  return struct.unpack(">I", header[4:8])[0] if len(header) == 8 else None


def read_idx(path: str, rank: int, max_items: Optional[int] = None) -> np.ndarray:
  """Reads and validates one uint8 IDX file of the given rank (3 for images, 1 for labels).
  With max_items, only the first max_items items are read when the file's size agrees with its
  header (a tiny run does not decompress all 60,000 training images)."""
  if max_items is not None:
    head = _read_head(path, rank, max_items)
    if head is not None:
      return head
  raw = _read_bytes(path)
  fix = "delete it and download it again"
  if len(raw) < 4:
    raise DataError(f"{path} is truncated: it has {len(raw)} bytes, fewer than an IDX header; {fix}.")
  zero, dtype, ndim = raw[:2], raw[2], raw[3]
  if zero != b"\x00\x00":
    raise DataError(f"{path} is not an IDX file (bad magic number {raw[:4].hex()}); {fix}.")
  if dtype != 0x08:
    raise DataError(f"{path} holds element type 0x{dtype:02x}, not unsigned bytes (0x08); {fix}.")
  if ndim != rank:
    raise DataError(f"{path} has {ndim} dimensions where {rank} were expected; "
                    f"check that images and labels files are not swapped.")
  header_len = 4 + 4 * ndim
  if len(raw) < header_len:
    raise DataError(f"{path} is truncated inside its header; {fix}.")
  shape = struct.unpack(f">{ndim}I", raw[4:header_len])
  if rank == 3 and shape[1:] != IMAGE_SHAPE[:2]:
    raise DataError(f"{path} holds {shape[1]}x{shape[2]} images, not 28x28; {fix}.")
  expected = int(np.prod(shape))
  found = len(raw) - header_len
  if found < expected:
    raise DataError(f"{path} is truncated: {shape[0]} items need {expected} data bytes but "
                    f"only {found} are there; {fix}.")
  if found > expected:
    raise DataError(f"{path} has {found - expected} bytes of trailing garbage after its "
                    f"{shape[0]} items; {fix}.")
  return np.frombuffer(raw, dtype=np.uint8, offset=header_len).reshape(shape)[:max_items]


def _find(directory: str, stem: str) -> Optional[str]:
  for candidate in (stem, stem + ".gz"):
    path = os.path.join(directory, candidate)
    if os.path.isfile(path):
      return path
  return None


def load_idx_dir(directory: str, split: str, max_items: Optional[int] = None,
                 class_names: tuple = CLASS_NAMES["mnist"]) -> Split:
  """Loads one split (its first max_items examples when given) from a directory holding the
  standard IDX file names (gzipped or not)."""
  image_stem, label_stem = idx_filenames(split)
  paths = []
  for stem in (image_stem, label_stem):
    path = _find(directory, stem)
    if path is None:
      raise DataError(
          f"{os.path.join(directory, stem)}[.gz] is missing, so the {split} split cannot be "
          f"loaded from {directory}; put the file there or point {{data_dir}} / AE_DATA_DIR at a "
          f"directory that has it.")
    paths.append(path)
  if max_items is not None and _item_count(paths[0]) != _item_count(paths[1]):
    max_items = None   # Read both whole: the check below then names the mismatch.
  images = read_idx(paths[0], rank=3, max_items=max_items)
  labels = read_idx(paths[1], rank=1, max_items=max_items)
  if images.shape[0] == 0:
    raise DataError(f"{paths[0]} holds no images (its header says 0 items); delete it and "
                    "download it again.")
  if images.shape[0] != labels.shape[0]:
    raise DataError(f"{paths[0]} holds {images.shape[0]} images but {paths[1]} holds "
                    f"{labels.shape[0]} labels; the two files are from different splits.")
  if labels.size and labels.max() >= len(class_names):
    raise DataError(f"{paths[1]} holds label {labels.max()}, outside 0-{len(class_names) - 1}; "
                    f"delete it and download it again.")
  return Split(images[..., None], labels.astype(np.int32), directory, tuple(class_names))



def resolve_data_dir(name: str, data_dir: Optional[str]) -> Optional[str]:
  """The IDX directory to use for `name`, or None to fall through to Debian/tfds."""
  data_dir = data_dir or os.environ.get("AE_DATA_DIR") or None
  if data_dir is None:
    return None
  if not os.path.isdir(data_dir):
    raise DataError(f"data directory {data_dir} does not exist; fix {{data_dir}} / AE_DATA_DIR "
                    f"or unset it to use the default sources.")
  sub = os.path.join(data_dir, name)
  return sub if os.path.isdir(sub) else data_dir


# SHA-256 of the first 100 images (uint8 bytes, 28x28) of each real dataset's splits: files of
# one dataset given under the other's name are recognised (the two share their file names).
KNOWN_FIRST_100 = {
    "c8d7b3ac57a59fa463cbbcdc21a53485e2990f12ca46d0fef62dd86cadfd67a3": ("mnist", "train"),
    "8a004a2f81a80f4866259cbb77cf37af89315036b298b250b4d45c24aaa92048": ("mnist", "test"),
    "9fd5e05238929f78618002dd971c29d7154e418c5e6c5159dcbc48bead93a90f": ("fashion_mnist", "train"),
    "d8c9b85550f6c8fa33478e27cb3fe70fd34b4cc96e6ab91b911853b51fb3d527": ("fashion_mnist", "test"),
}


def check_identity(name: str, split: str, result: Split) -> None:
  """DataError when `result` is recognisably another dataset's files (KNOWN_FIRST_100)."""
  if result.images.shape[0] < 100 or result.images.shape[1:] != (28, 28, 1):
    return
  digest = hashlib.sha256(np.ascontiguousarray(result.images[:100]).tobytes()).hexdigest()
  other = KNOWN_FIRST_100.get(digest)
  if other and other[0] != name:
    raise DataError(f"{result.source} holds {other[0]}'s {other[1]} images, not {name}'s (its "
                    f"first 100 images are {other[0]}'s); choose the dataset {other[0]}, or "
                    f"point {{data_dir}} at {name}'s files.")

