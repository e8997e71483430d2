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

import errno
import ipaddress
import re
import socket
import threading
import time

import jax
import numpy as np
from jax.sharding import NamedSharding, PartitionSpec

from ae.training import sharding

_HOSTNAME = re.compile(r"^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)"
                       r"(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$")
# JAX's own deadline is set this much past ours: its expiry aborts the process from C++ (a
# LOG(FATAL) with a stack trace), so ours must always come first.
_JAX_DEADLINE_MARGIN_S = 120


def parse_address(address: str) -> tuple[str, int]:
  """(host, port) of "host:port" ("[v6]:port" for IPv6); ValueError saying what is wrong."""
  match = re.fullmatch(r"\[([0-9A-Fa-f:.]+)\]:(\d+)|([^:\[\]\s]+):(\d+)", address or "")
  if not match:
    raise ValueError(f"{address!r} is not host:port (as in 10.0.0.1:1234, or [::1]:1234)")
  host, port = (match.group(1), match.group(2)) if match.group(1) else match.group(3, 4)
  if match.group(1):
    try:
      ipaddress.IPv6Address(host)
    except ValueError:
      raise ValueError(f"{host!r} is not an IPv6 address") from None
  elif not _HOSTNAME.match(host):
    raise ValueError(f"{host!r} is not a host name or an IPv4 address")
  if not 1 <= int(port) <= 65535:
    raise ValueError(f"port {port} is outside 1-65535")
  return host, int(port)


def check_port_free(port: int) -> None:
  """OSError(EADDRINUSE) when another program on this machine listens on `port` (process 0
  hosts JAX's coordination service there, on every interface)."""
  try:   # every interface, IPv6 and IPv4 (JAX binds [::]:port)
    with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s:
      s.bind(("::", port))
    return
  except OSError as e:
    if e.errno == errno.EADDRINUSE:
      raise
  with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:   # a host without IPv6
    s.bind(("0.0.0.0", port))


class StartTimeout(Exception):
  """The job's other processes did not come within the start-up timeout."""


def initialize(coordinator_address: str | None = None, num_processes: int | None = None,
               process_id: int | None = None, timeout_s: float = 60.0,
               poll_s: float = 0.1) -> None:
  """Joins a multi-process job; None values are found by JAX itself (Cloud TPU, SLURM). JAX
  waits for every process inside C++, where no Python signal handler runs and where its own
  deadline ends in an abort, so the wait runs in a thread while this (the main) thread polls:
  SIGINT/SIGTERM handlers run within `poll_s`, and after `timeout_s` this raises StartTimeout.
  After StartTimeout (or an exception a handler raised) the JAX thread is still blocked in C++:
  the caller must end the process with os._exit, not a normal interpreter shutdown."""
  jax.config.update("jax_cpu_collectives_implementation", "gloo")
  failure = []

  def join():
    try:
      jax.distributed.initialize(
          coordinator_address=coordinator_address, num_processes=num_processes,
          process_id=process_id,
          initialization_timeout=int(timeout_s) + _JAX_DEADLINE_MARGIN_S)
    except BaseException as e:  # noqa: B036 (reported to the main thread)
      failure.append(e)

  thread = threading.Thread(target=join, name="jax-distributed-initialize", daemon=True)
  thread.start()
  deadline = time.monotonic() + timeout_s
  while thread.is_alive():
    if time.monotonic() > deadline:
      raise StartTimeout()
    thread.join(poll_s)
  if failure:
    raise failure[0]


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
