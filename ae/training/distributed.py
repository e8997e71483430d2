"""Several hosts: one JAX job over many processes (multi-controller JAX, `jax.distributed`).

Every process runs the same program on its own devices; the mesh spans the devices of all of
them (`sharding.data_mesh(jax.devices())`), and XLA's collectives (gloo on CPU, NCCL on GPU, ICI
on TPU) carry the gradient all-reduce.

  initialize(address, n, id)  joins the job (before anything touches a device); on CPU the
                              collectives go through gloo
  is_primary()                process 0: the only one that writes the run's records
                              (config.json, metrics.jsonl, TensorBoard, figures, checksums);
                              orbax writes the checkpoints collectively
  epoch_order(rng, n, b)      the epoch's batches as rows of the training split [steps, b]: the
                              same permutation the single-process epoch draws on the devices
  epoch_batches(split, ...)   the epoch's global batches [steps, b, ...], built from this
                              process's rows of every batch only (its slice of each batch,
                              `jax.make_array_from_process_local_data`)
"""

import jax
import numpy as np
from jax.sharding import NamedSharding, PartitionSpec

from ae.training import sharding


def initialize(coordinator_address: str | None = None, num_processes: int | None = None,
               process_id: int | None = None) -> None:
  """Joins a multi-process job. None values are found by JAX itself (Cloud TPU, SLURM)."""
  jax.config.update("jax_cpu_collectives_implementation", "gloo")
  jax.distributed.initialize(coordinator_address=coordinator_address,
                             num_processes=num_processes, process_id=process_id)


def is_primary() -> bool:
  return jax.process_index() == 0


def is_multiprocess() -> bool:
  return jax.process_count() > 1


def epoch_order(rng: jax.Array, n: int, batch_size: int) -> np.ndarray:
  """Row indices [steps, batch_size] of an epoch: permutation(split(rng)[0], n), as in
  `step.make_train_epoch` (the last partial batch dropped)."""
  steps = n // batch_size
  perm_rng, _ = jax.random.split(rng)
  order = np.asarray(jax.random.permutation(perm_rng, n))
  return order[:steps * batch_size].reshape(steps, batch_size)


def epoch_batches(split, rng: jax.Array, batch_size: int, mesh) -> tuple:
  """(images [steps, b, ...], labels [steps, b]) as global arrays sharded along the batch axis.
  This process gathers only its own slice of every batch from `split` (numpy, on the host)."""
  order = epoch_order(rng, split.size, batch_size)
  per_process = batch_size // jax.process_count()
  start = jax.process_index() * per_process
  rows = order[:, start:start + per_process]
  spec = NamedSharding(mesh, PartitionSpec(None, sharding.AXIS))
  images, labels = np.asarray(split.images)[rows], np.asarray(split.labels)[rows]
  return (jax.make_array_from_process_local_data(spec, images,
                                                 (order.shape[0], batch_size) + images.shape[2:]),
          jax.make_array_from_process_local_data(spec, labels, order.shape))
