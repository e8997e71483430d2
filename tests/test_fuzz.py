"""Fuzzing the two parsers of user input with a seeded random mutator: thousands of damaged IDX
files and config dicts, each of which must be read or end in the typed error (DataError,
ConfigError), never another exception."""

import gzip
import math
import random

import numpy as np
import pytest

from ae import data
from ae.errors import ConfigError, DataError
from ae.training import config as config_lib

SEED = 20261128


def _valid_idx(rng: random.Random, rank: int) -> bytes:
  n = rng.randint(0, 3)
  shape = (n, 28, 28) if rank == 3 else (n,)
  header = bytes([0, 0, 8, rank]) + b"".join(d.to_bytes(4, "big") for d in shape)
  return header + bytes(rng.getrandbits(8) % (256 if rank == 3 else 10)
                        for _ in range(int(np.prod(shape))))


def _mutate(rng: random.Random, raw: bytes) -> bytes:
  raw = bytearray(raw)
  for _ in range(rng.randint(1, 4)):
    kind = rng.randrange(6)
    if kind == 0 and raw:                              # flip a byte
      raw[rng.randrange(len(raw))] = rng.getrandbits(8)
    elif kind == 1:                                    # cut it short
      del raw[rng.randint(0, len(raw)):]
    elif kind == 2:                                    # insert garbage
      at = rng.randint(0, len(raw))
      raw[at:at] = bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 40)))
    elif kind == 3 and len(raw) >= 8:                  # a random count in the header
      raw[4:8] = rng.getrandbits(32).to_bytes(4, "big")
    elif kind == 4 and len(raw) >= 4:                  # another type or rank
      raw[rng.choice((2, 3))] = rng.getrandbits(8)
    elif kind == 5:                                    # random bytes altogether
      raw = bytearray(rng.getrandbits(8) for _ in range(rng.randint(0, 64)))
  return bytes(raw)


def test_the_idx_reader_reads_or_raises_data_error(tmp_path):
  rng = random.Random(SEED)
  counts = {"read": 0, "DataError": 0}
  for i in range(3000):
    rank = rng.choice((1, 3))
    raw = _mutate(rng, _valid_idx(rng, rank))
    gz = rng.random() < 0.3
    path = str(tmp_path / f"f{i % 7}{'.gz' if gz else ''}")
    if gz and rng.random() < 0.5:
      raw = gzip.compress(raw)
      raw = _mutate(rng, raw) if rng.random() < 0.5 else raw   # a damaged gzip stream
      with open(path, "wb") as f:
        f.write(raw)
    elif gz:
      with gzip.open(path, "wb") as f:
        f.write(raw)
    else:
      with open(path, "wb") as f:
        f.write(raw)
    try:
      array = data.read_idx(path, rank)
    except DataError as e:
      assert path in str(e)
      counts["DataError"] += 1
      continue
    assert array.dtype == np.uint8 and array.ndim == rank
    counts["read"] += 1
  assert counts["DataError"] > 2000 and counts["read"] > 10, counts


def test_a_directory_of_damaged_files_is_a_data_error(tmp_path):
  rng = random.Random(SEED + 1)
  for i in range(200):
    d = tmp_path / f"d{i}"
    d.mkdir()
    images, labels = data.idx_filenames("test")
    n = rng.randint(0, 3)
    data.write_idx(str(d / images), np.zeros((n, 28, 28), np.uint8))
    data.write_idx(str(d / labels), np.zeros((rng.randint(0, 3),), np.uint8) + rng.randint(0, 12))
    victim = d / rng.choice((images, labels))
    victim.write_bytes(_mutate(rng, victim.read_bytes()))
    try:
      split = data.load_idx_dir(str(d), "test")
    except DataError:
      continue
    assert split.images.shape[0] == split.labels.shape[0] > 0
    assert int(split.labels.max()) <= 9


JUNK = [None, "", "relu", "nan", -1, 0, 1, 2 ** 70, -2 ** 70, 0.5, -0.0, math.nan, math.inf,
        -math.inf, 1e308, True, False, [], [0], [64, "a"], (3, -1), {}, {"x": 1}, b"x", 3j]


def _mutate_config(rng: random.Random, d: dict) -> dict:
  d = {k: (dict(v) if isinstance(v, dict) else v) for k, v in d.items()}
  for _ in range(rng.randint(1, 3)):
    kind = rng.randrange(6)
    section = rng.choice(list(d))
    if kind == 0 and isinstance(d[section], dict) and d[section]:   # a junk value
      d[section][rng.choice(list(d[section]))] = rng.choice(JUNK)
    elif kind == 1 and isinstance(d[section], dict) and d[section]:   # a missing field
      del d[section][rng.choice(list(d[section]))]
    elif kind == 2 and isinstance(d[section], dict):                  # an unknown field
      d[section][rng.choice(("lr", "widths", "noise", "beta", ""))] = rng.choice(JUNK)
    elif kind == 3:                                                   # a section replaced
      d[section] = rng.choice(JUNK)
    elif kind == 4:                                                   # a section missing
      del d[section]
      if not d:
        return d
    elif kind == 5:                                                   # an unknown section
      d[rng.choice(("vae", "dae", "extra", "workdir"))] = rng.choice(JUNK + [{"beta": 1.0}])
  return d


@pytest.mark.parametrize("name", ["ae", "dae", "sae", "cae", "vae", "iwae", "cvae", "aae",
                                  "aae_cat", "m2"])
def test_the_config_parser_reads_or_raises_config_error(name):
  rng = random.Random(f"{SEED}-{name}")
  base = config_lib.to_dict(config_lib.base_config(name))
  outcomes = {"read": 0, "ConfigError": 0}
  for _ in range(400):
    mutated = _mutate_config(rng, base)
    if rng.random() < 0.05:
      mutated = rng.choice(JUNK)
    try:
      config = config_lib.from_dict(mutated)
    except ConfigError as e:
      assert e.field and e.message.endswith("."), (e.field, e.message)
      outcomes["ConfigError"] += 1
      continue
    config_lib.validate(config)   # What was read is a valid config.
    outcomes["read"] += 1
  assert outcomes["ConfigError"] > 150 and outcomes["read"] > 10, outcomes
