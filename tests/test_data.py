"""IDX loading, validation errors that name the file and the fix, tfds, and preprocessing."""

import gzip
import hashlib
import os

import jax
import numpy as np
import pytest

from ae import data
from ae.data import idx
from tests.conftest import SHARED_MNIST, write_dataset


@pytest.fixture
def small(tmp_path):
  write_dataset(str(tmp_path), 20, 10, gz=True)
  return tmp_path


def test_load_from_directory_roundtrip(small):
  split = data.load("mnist", "train", str(small))
  assert split.images.shape == (20, 28, 28, 1) and split.images.dtype == np.uint8
  assert split.labels.shape == (20,) and split.labels.dtype == np.int32
  assert split.source == str(small)
  assert data.load("mnist", "test", str(small), max_examples=4).images.shape[0] == 4


def test_uncompressed_files_and_dataset_subdirectory(tmp_path):
  write_dataset(str(tmp_path / "fashion_mnist"), 6, 3, gz=False)
  split = data.load("fashion_mnist", "test", str(tmp_path))
  assert split.images.shape == (3, 28, 28, 1)
  assert split.source == str(tmp_path / "fashion_mnist")


def test_environment_variable(small, monkeypatch):
  monkeypatch.setenv("AE_DATA_DIR", str(small))
  assert data.load("mnist", "test").images.shape[0] == 10


def _corrupt(path, content: bytes):
  with gzip.open(path, "wb") as f:
    f.write(content)


def _header(ndim, dims, dtype=0x08):
  return bytes([0, 0, dtype, ndim]) + b"".join(d.to_bytes(4, "big") for d in dims)


@pytest.mark.parametrize("content,message", [
    (_header(3, (2, 28, 28)) + bytes(100), "is truncated: 2 items need 1568 data bytes"),
    (b"\x01\x02\x08\x03" + bytes(20), "bad magic number"),
    (_header(3, (1, 28, 28), dtype=0x0D) + bytes(784 * 4), "element type 0x0d"),
    (_header(1, (5,)) + bytes(5), "has 1 dimensions where 3 were expected"),
    (_header(3, (1, 32, 32)) + bytes(1024), "32x32 images, not 28x28"),
    (_header(3, (1, 28, 28)) + bytes(785), "1 bytes of trailing garbage"),
    (b"\x00\x00", "fewer than an IDX header"),
])
@pytest.mark.parametrize("max_examples", [None, 1])
def test_corrupt_image_file_names_file_and_problem(small, content, message, max_examples):
  path = os.path.join(small, "train-images-idx3-ubyte.gz")
  _corrupt(path, content)
  with pytest.raises(data.DataError, match=message) as err:
    data.load("mnist", "train", str(small), max_examples=max_examples)
  assert path in str(err.value)


@pytest.mark.parametrize("gz", [True, False])
def test_a_head_is_read_without_reading_the_whole_file(tmp_path, monkeypatch, gz):
  write_dataset(str(tmp_path), 20, 10, gz=gz)
  full = data.load("mnist", "train", str(tmp_path))
  monkeypatch.setattr(idx, "_read_bytes", lambda path: pytest.fail(f"read all of {path}"))
  head = data.load("mnist", "train", str(tmp_path), max_examples=5)
  np.testing.assert_array_equal(head.images, full.images[:5])
  np.testing.assert_array_equal(head.labels, full.labels[:5])


def test_not_gzip_at_all(small):
  path = os.path.join(small, "t10k-labels-idx1-ubyte.gz")
  with open(path, "wb") as f:
    f.write(b"this is not gzip")
  with pytest.raises(data.DataError, match="not a readable gzip/IDX file") as err:
    data.load("mnist", "test", str(small))
  assert path in str(err.value) and "download it again" in str(err.value)


@pytest.mark.parametrize("max_examples", [None, 3])
def test_count_mismatch(small, max_examples):
  data.write_idx(os.path.join(small, "t10k-labels-idx1-ubyte.gz"), np.zeros(7, np.uint8))
  with pytest.raises(data.DataError, match="10 images but .* 7 labels"):
    data.load("mnist", "test", str(small), max_examples=max_examples)


def test_missing_split_file_and_missing_directory(small, tmp_path):
  os.remove(os.path.join(small, "train-labels-idx1-ubyte.gz"))
  with pytest.raises(data.DataError, match=r"train-labels-idx1-ubyte\[.gz\] is missing.*point data_dir / AE_DATA_DIR"):
    data.load("mnist", "train", str(small))
  with pytest.raises(data.DataError, match="does not exist"):
    data.load("mnist", "train", str(tmp_path / "nowhere"))


def test_unknown_dataset_and_split():
  with pytest.raises(ValueError, match="unknown dataset 'cifar100'"):
    data.load("cifar100", "train")
  with pytest.raises(ValueError, match="unknown split 'validation'"):
    data.load("mnist", "validation", "/tmp")


def test_tfds_mock_data():
  import tensorflow_datasets as tfds
  with tfds.testing.mock_data(num_examples=12):
    split = data.load_tfds("mnist", "train")
  assert split.images.shape == (12, 28, 28, 1) and split.images.dtype == np.uint8
  assert split.labels.shape == (12,) and split.labels.max() <= 9
  assert split.source == "tfds:mnist"


def test_tfds_failure_is_one_clear_sentence(monkeypatch):
  import tensorflow_datasets as tfds

  def offline(*args, **kwargs):
    raise ConnectionError("Failed to resolve host\nsecond line")

  monkeypatch.setattr(tfds, "load", offline)
  with pytest.raises(data.DataError, match=r"not available offline.*\(no network: Failed to "
                     r"resolve host\); apt-get install dataset-fashion-mnist"):
    data.load_tfds("fashion_mnist", "train")


@pytest.mark.skipif(not os.path.isdir(SHARED_MNIST), reason="../shared/data/mnist not present")
def test_real_mnist_test_split():
  split = data.load("mnist", "test", SHARED_MNIST)
  assert split.images.shape == (10000, 28, 28, 1)
  assert np.bincount(split.labels).tolist()[:3] == [980, 1135, 1032]
  header = data.idx_filenames("test")[0]
  digest = hashlib.sha256(bytes([0, 0, 8, 3]) + (10000).to_bytes(4, "big")
                          + (28).to_bytes(4, "big") * 2 + split.images.tobytes()).hexdigest()
  assert digest == "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7", header


@pytest.mark.skipif(not os.path.isdir(SHARED_MNIST), reason="../shared/data/mnist not present")
def test_real_mnist_train_split():
  """The full training split (new in ../shared): MNIST's class counts, its mean pixel and the
  SHA-256 that ../shared/data/README.md lists for the decompressed images file."""
  split = data.load("mnist", "train", SHARED_MNIST)
  assert split.images.shape == (60000, 28, 28, 1)
  assert np.bincount(split.labels).tolist() == [5923, 6742, 5958, 6131, 5842, 5421, 5918,
                                                6265, 5851, 5949]
  assert abs(float(split.images.mean()) - 33.318) < 1e-3
  digest = hashlib.sha256(bytes([0, 0, 8, 3]) + (60000).to_bytes(4, "big")
                          + (28).to_bytes(4, "big") * 2 + split.images.tobytes()).hexdigest()
  assert digest == "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db"


def test_preprocessing():
  images = np.array([[[[0]], [[255]]], [[[128]], [[64]]]], np.uint8).reshape(2, 2, 1, 1)
  x = data.flatten(data.to_float(images))
  assert x.shape == (2, 2) and x.dtype == np.float32
  np.testing.assert_allclose(x, [[0.0, 1.0], [128 / 255, 64 / 255]], rtol=1e-6)
  gray = jax.numpy.full((200, 50), 0.5)
  a = data.binarize_dynamic(jax.random.PRNGKey(0), gray)
  b = data.binarize_dynamic(jax.random.PRNGKey(1), gray)
  assert set(np.unique(a).tolist()) == {0.0, 1.0} and not np.array_equal(a, b)
  assert abs(float(a.mean()) - 0.5) < 0.02
  np.testing.assert_array_equal(data.binarize_fixed(gray), data.binarize_fixed(gray))
