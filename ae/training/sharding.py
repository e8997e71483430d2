"""Data parallelism with jax.sharding: one mesh axis, "data", over every device of the job (the
local ones in a single process; those of every process in a multi-process job).

Each batch is sharded along "data" (device i holds rows i*B/n ... (i+1)*B/n - 1); the train
state and the dataset are replicated. Inside the compiled epoch XLA's SPMD partitioner turns the
mean over the batch into per-device partial sums and one all-reduce of the gradients, so the same
jitted, donated, scanned epoch runs on 1 CPU, 8 GPUs or a TPU slice, unchanged. No pmap.
"""

import jax
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec

from ae.errors import ConfigError

AXIS = "data"


def data_mesh(devices=None) -> Mesh:
  """A 1-D mesh over `devices` (default: every device of the job, `jax.devices()`)."""
  devices = jax.devices() if devices is None else list(devices)
  return Mesh(np.array(devices), (AXIS,))


def replicated(mesh: Mesh) -> NamedSharding:
  return NamedSharding(mesh, PartitionSpec())


def batch_sharded(mesh: Mesh) -> NamedSharding:
  """Leading (batch) axis split over the devices; the other axes whole."""
  return NamedSharding(mesh, PartitionSpec(AXIS))


def replicate(tree, mesh: Mesh):
  """Places every array of `tree` on every device of the mesh."""
  return jax.device_put(tree, replicated(mesh))


def check_batch_size(path: str, batch_size: int, mesh: Mesh) -> None:
  """Each device takes an equal share of a batch: the device count must divide it."""
  n = mesh.devices.size
  if batch_size % n:
    lower, upper = (batch_size // n) * n, (batch_size // n + 1) * n
    choices = f"{lower} or {upper}" if lower else f"{upper}"
    raise ConfigError(path, f"{batch_size} cannot be split evenly over the {n} devices; use a "
                      f"multiple of {n} (such as {choices}).")
