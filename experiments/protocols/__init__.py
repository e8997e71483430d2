"""The papers' protocols that `python -m experiments.reproduce` runs, one file per paper.

A protocol is a name of the interface (flax_vae, iwae_table1, ...), the paper's numbers it is
compared with (`Anchor`: the number, its +-, the unit and where it was read), the protocol's
epochs, the number of seeds (or label draws) the paper averaged over, and a `run(context)` that
trains and measures with the library and returns {row: [our value per seed]}. A protocol with
several numbers has one row per number, named NAME/ROW (iwae_table1/iwae_k5).

Adding a paper is one file here with a PROTOCOLS tuple, its presets in
experiments/configs/papers/, and one line in MODULES.
"""

import dataclasses
import importlib
from typing import Callable, Optional

MODULES = ("flax_examples", "kingma_welling_2013", "burda_2015", "kingma_2014",
           "makhzani_2015")


@dataclasses.dataclass(frozen=True)
class Anchor:
  """A published number: paper +- paper_std (None when the paper gives no +-) in `unit`, read
  from `source`; `lower_is_better` orders ours against it."""
  paper: Optional[float]
  paper_std: Optional[float]
  unit: str
  source: str
  lower_is_better: bool = True


@dataclasses.dataclass(frozen=True)
class Protocol:
  name: str
  citation: str
  anchors: dict            # row name (without the protocol's) -> Anchor; "" for a single row
  epochs: int              # the protocol's total epochs (per training run)
  seeds: int               # how many seeds or label draws the paper's numbers average over
  run: Callable            # (Context) -> {row: [value per seed]}
  differs: str = ""        # what we do differently, and why


def all_protocols() -> dict:
  """{name: Protocol} in the order of MODULES."""
  out = {}
  for module in MODULES:
    for protocol in importlib.import_module(f"experiments.protocols.{module}").PROTOCOLS:
      out[protocol.name] = protocol
  return out


def row_name(protocol: str, row: str) -> str:
  return f"{protocol}/{row}" if row else protocol
