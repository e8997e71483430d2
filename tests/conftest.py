"""Shared fixtures: strict JAX settings, a tiny generated IDX dataset, a binary runner."""

import os
import subprocess
import sys
import tempfile

import jax
import numpy as np
import pytest

from ae import data

MNIST_SPEC = data.Spec((28, 28, 1), data.digit_names())   # the generated datasets' spec
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED_MNIST = os.path.join(ROOT, "..", "shared", "data", "mnist")

# One persistent compilation cache for the session (this process and every binary it starts):
# tests compile the same small programs many times (a run and its resumed twin, each binary's
# start). Compiles of any length are cached; the cache lives in a fresh directory per session.
if "JAX_COMPILATION_CACHE_DIR" not in os.environ:
  os.environ["JAX_COMPILATION_CACHE_DIR"] = tempfile.mkdtemp(prefix="ae-jax-cache-")
os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS", "0")
os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES", "0")
jax.config.update("jax_compilation_cache_dir", os.environ["JAX_COMPILATION_CACHE_DIR"])
jax.config.update("jax_persistent_cache_min_compile_time_secs", 0)
jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)

# The tests' programs are small and each is compiled about once, so compiling dominates their
# time: LLVM's optimizations are turned off for the whole session (this process and every
# binary it starts), which cut a compile-heavy test file by 30%. Tests that set XLA_FLAGS for
# several devices keep it too.
FAST_COMPILE = "--xla_backend_optimization_level=0"
if FAST_COMPILE not in os.environ.get("XLA_FLAGS", ""):
  os.environ["XLA_FLAGS"] = f"{os.environ.get('XLA_FLAGS', '')} {FAST_COMPILE}".strip()

# float32 by default, as in training; the gradient tests ask for float64 with the x64 fixture.
# (jax_numpy_dtype_promotion="strict" is not set: optax's own Adam update mixes int and float.)
jax.config.update("jax_enable_x64", False)


@pytest.fixture
def x64():
  """float64 inside one test (the gradient tests), restored afterwards."""
  with jax.enable_x64(True):
    yield


def make_images(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
  """n 28x28 uint8 images of blurry class-dependent bars, and their labels."""
  labels = rng.integers(0, 10, size=n).astype(np.uint8)
  images = np.zeros((n, 28, 28), np.float64)
  for i, label in enumerate(labels):
    row = 3 + 2 * int(label)
    images[i, row:row + 4, 4:24] = 1.0
    images[i] += 0.3 * rng.random((28, 28))
  return np.clip(images * 255, 0, 255).astype(np.uint8), labels


def write_dataset(directory: str, n_train: int, n_test: int, seed: int = 0, gz: bool = True):
  os.makedirs(directory, exist_ok=True)
  rng = np.random.default_rng(seed)
  for split, n in (("train", n_train), ("test", n_test)):
    images, labels = make_images(rng, n)
    image_name, label_name = data.idx_filenames(split)
    suffix = ".gz" if gz else ""
    data.write_idx(os.path.join(directory, image_name + suffix), images)
    data.write_idx(os.path.join(directory, label_name + suffix), labels)


@pytest.fixture(scope="session")
def tiny_data_dir(tmp_path_factory):
  """A directory with mnist/ and fashion_mnist/ sub-directories of small generated IDX files."""
  root = tmp_path_factory.mktemp("data")
  write_dataset(str(root / "mnist"), 256, 128, seed=1)
  write_dataset(str(root / "fashion_mnist"), 256, 128, seed=2)
  return str(root)


def crash_after(epoch: int):
  """An on_epoch callback that simulates a kill right after `epoch` was checkpointed."""
  def crash(done, state, row):
    if done == epoch:
      raise KeyboardInterrupt(f"simulated kill after epoch {epoch}")
  return crash


_ZYGOTE = []   # this process's fork server (tests/zygote.py), started on first use


def _zygote():
  if not _ZYGOTE:
    import atexit
    from tests import zygote
    _ZYGOTE.append(zygote.Zygote(ROOT, tempfile.mkdtemp(prefix="ae-zygote-")))
    atexit.register(_ZYGOTE[0].close)
  return _ZYGOTE[0]


def run_binary(name: str, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
  """Runs `python -m experiments.NAME args...` from the repository root: forked from this
  process's fork server (its imports done once; the binary's own output and exit code), or as
  a fresh interpreter when `env` adds variables (read at start-up, as XLA_FLAGS is)."""
  if env is None:
    process = _zygote().start(name, list(args), ROOT)
    stdout, stderr = process.communicate(timeout=600)
    return subprocess.CompletedProcess([sys.executable, "-m", f"experiments.{name}", *args],
                                       process.returncode, stdout, stderr)
  full_env = {k: v for k, v in os.environ.items() if k != "AE_DATA_DIR"}
  full_env.update(TF_CPP_MIN_LOG_LEVEL="3", **(env or {}))
  return subprocess.run([sys.executable, "-m", f"experiments.{name}", *args], cwd=ROOT,
                        env=full_env, capture_output=True, text=True, timeout=600)


# The longest test file first: with `-n auto --dist loadfile` each worker takes the next file in
# this order, so the lecture's tiny build (about two minutes) runs beside the other files
# instead of after them.
LONGEST_FIRST = ("test_lecture_site.py",)


def pytest_collection_modifyitems(session, config, items):
  del session, config
  items.sort(key=lambda item: os.path.basename(str(item.fspath)) not in LONGEST_FIRST)
