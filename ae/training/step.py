"""The compiled pieces of the training core.

  make_train_step(loss)        loss (params, batch, rng) -> (loss, metrics) becomes a pure,
                               jitted step (state, batch, rng) -> (state, metrics), state donated
  make_train_epoch(step, ...)  a whole epoch as one compiled call: the split lives on the
                               devices, indices are shuffled with jax.random, every step runs
                               under jax.lax.scan with its batch sharded over the mesh; donated
  make_fed_train_epoch(...)    the same epoch over batches fed from outside (several processes,
                               each feeding its slice of every batch)
  make_evaluate(eval_step, ..) batched, jitted evaluation that counts every example

The randomness of step i of an epoch is fold_in(step_rng, i), so a resumed run sees the same
batches and noise as an uninterrupted one.
"""

from typing import Callable

import jax
import jax.numpy as jnp

from ae.training import sharding


def make_train_step(loss: Callable) -> Callable:
  """(state, batch, rng) -> (state, metrics): one gradient step on `loss(params, batch, rng,
  step=state.step)`, jitted, with the state donated. Called alone it is a step; inside
  `make_train_epoch` it is inlined."""
  def train_step(state, batch: dict, rng: jax.Array):
    grads, metrics = jax.grad(loss, has_aux=True)(state.params, batch, rng, step=state.step)
    return state.apply_gradients(grads=grads), metrics
  return jax.jit(train_step, donate_argnums=0)


def all_finite(tree) -> jax.Array:
  """True when every floating-point number in the pytree is finite."""
  leaves = [jnp.all(jnp.isfinite(x)) for x in jax.tree.leaves(tree)
            if jnp.issubdtype(jnp.result_type(x), jnp.inexact)]
  return jnp.all(jnp.stack(leaves)) if leaves else jnp.array(True)


def _run_steps(train_step, state, data, xs, batch_of, step_rng, batch_sharding,
               skip_nonfinite, scan=True):
  """The epoch's steps: step i gets batch_of(data, x_i) and fold_in(step_rng, i), inside one
  lax.scan, or with scan=False from the host, one compiled donated step each (the same numbers):
  XLA on CPU runs convolutions inside a loop about 17x slower than alone (jaxlib 0.10.2, 2-core
  EPYC: a 2-layer conv encoder's step took 18 ms alone, 310 ms inside scan or fori_loop)."""
  def body(state, data, step_rng, inputs):
    batch = jax.lax.with_sharding_constraint(batch_of(data, inputs), batch_sharding)
    new_state, metrics = train_step(state, batch, jax.random.fold_in(step_rng, inputs[0]))
    finite = jnp.isfinite(metrics["loss"])
    if skip_nonfinite:
      finite = finite & all_finite(new_state)
      new_state = jax.tree.map(lambda new, old: jnp.where(finite, new, old), new_state, state)
    return new_state, (metrics, finite)

  steps = xs[0].shape[0]
  if scan:
    state, (metrics, finite) = jax.lax.scan(lambda s, x: body(s, data, step_rng, x), state, xs)
  else:
    one = jax.jit(body, donate_argnums=0)
    outs = []
    for i in range(steps):
      state, out = one(state, data, step_rng, jax.tree.map(lambda x: x[i], xs))
      outs.append(out)
    metrics, finite = jax.tree.map(lambda *a: jnp.stack(a), *outs)
  bad = steps - jnp.sum(finite)
  if skip_nonfinite:
    applied = jnp.maximum(jnp.sum(finite), 1)
    means = jax.tree.map(lambda m: jnp.sum(jnp.where(finite, m, 0)) / applied, metrics)
    return state, {**means, "skipped_updates": bad}
  return state, {**jax.tree.map(jnp.mean, metrics), "nonfinite_steps": bad}


def _compiled(train_epoch, mesh, scan: bool):
  """The whole epoch jitted and donated when it scans; otherwise its steps are (see _run_steps)."""
  if scan:
    return jax.jit(train_epoch, donate_argnums=0, out_shardings=sharding.replicated(mesh))
  return train_epoch


def make_train_epoch(train_step: Callable, batch_size: int, mesh=None,
                     skip_nonfinite: bool = False, scan: bool = True) -> Callable:
  """(state, split, rng) -> (state, mean metrics); the last partial batch is dropped.

  `split` is an `ae.data.Split` replicated over `mesh` (see `sharding.replicate`); each batch is
  constrained to be sharded along the mesh's data axis. The state stays replicated.

  Non-finite losses are counted inside the compiled epoch (no host sync per step): the metrics
  get `nonfinite_steps`. With `skip_nonfinite` a step whose loss or new state is not finite
  keeps the old state instead; the metrics then get `skipped_updates`, and their means are over
  the steps that were applied. scan=False: the steps run from the host (see _run_steps).
  """
  mesh = mesh or sharding.data_mesh()
  sharding.check_batch_size("train.batch_size", batch_size, mesh)
  batch_sharding = sharding.batch_sharded(mesh)

  def train_epoch(state, split, rng):
    steps = split.images.shape[0] // batch_size
    perm_rng, step_rng = jax.random.split(rng)
    order = jax.random.permutation(perm_rng, split.images.shape[0])[:steps * batch_size]
    batch_of = lambda d, inputs: {"image": d.images[inputs[1]], "label": d.labels[inputs[1]]}
    return _run_steps(train_step, state, split, (jnp.arange(steps), order.reshape(steps, -1)),
                      batch_of, step_rng, batch_sharding, skip_nonfinite, scan)
  return _compiled(train_epoch, mesh, scan)


def make_fed_train_epoch(train_step: Callable, batch_size: int, mesh=None,
                         skip_nonfinite: bool = False, scan: bool = True) -> Callable:
  """(state, images [steps, B, ...], labels [steps, B], rng) -> (state, mean metrics): the epoch
  of `make_train_epoch` over batches built outside (`distributed.epoch_batches`: each process
  feeds its slice of every batch). With the same rng the steps see the same batches and noise."""
  mesh = mesh or sharding.data_mesh()
  sharding.check_batch_size("train.batch_size", batch_size, mesh)
  batch_sharding = sharding.batch_sharded(mesh)

  def train_epoch(state, images, labels, rng):
    _, step_rng = jax.random.split(rng)
    batch_of = lambda d, inputs: {"image": inputs[1], "label": inputs[2]}
    return _run_steps(train_step, state, None, (jnp.arange(images.shape[0]), images, labels),
                      batch_of, step_rng, batch_sharding, skip_nonfinite, scan)
  return _compiled(train_epoch, mesh, scan)


def scan_suits(network: str) -> bool:
  """Whether an epoch of `network` should run as one compiled loop: yes, except convolutional
  networks on XLA's CPU backend, whose convolutions run far slower inside a loop (_run_steps)."""
  return network == "mlp" or jax.default_backend() != "cpu"


def make_evaluate(eval_step: Callable, batch_size: int, mesh=None, scan: bool = True) -> Callable:
  """(state, split, rng) -> metrics averaged over every example (the remainder too).

  Full batches run under one jitted lax.map (with scan=False: one jitted call each), sharded over
  the mesh when the device count divides `batch_size`; the remainder is one more, smaller batch.
  """
  mesh = mesh or sharding.data_mesh()
  shard = batch_size % mesh.devices.size == 0
  batch_sharding = sharding.batch_sharded(mesh)

  def one_batch(state, images, labels, rng):
    batch = {"image": images, "label": labels}
    if shard:
      batch = jax.lax.with_sharding_constraint(batch, batch_sharding)
    return eval_step(state, batch, rng)

  @jax.jit
  def scanned_batches(state, images, labels, rng):
    full = (images.shape[0] // batch_size) * batch_size
    xs = (images[:full].reshape(-1, batch_size, *images.shape[1:]),
          labels[:full].reshape(-1, batch_size))
    keys = jax.random.split(rng, xs[1].shape[0])
    return jax.lax.map(lambda a: one_batch(state, *a), (*xs, keys))

  batch_step = jax.jit(one_batch)

  def looped_batches(state, images, labels, rng):
    count = images.shape[0] // batch_size
    keys = jax.random.split(rng, count)
    outs = [batch_step(state, images[i * batch_size:(i + 1) * batch_size],
                       labels[i * batch_size:(i + 1) * batch_size], keys[i])
            for i in range(count)]
    return jax.tree.map(lambda *a: jnp.stack(a), *outs)

  full_batches = scanned_batches if scan else looped_batches
  remainder = jax.jit(eval_step)

  def evaluate(state, split, rng):
    n = split.images.shape[0]
    full = (n // batch_size) * batch_size
    sums = None
    if full:
      per_batch = full_batches(state, split.images, split.labels, rng)
      sums = jax.tree.map(lambda m: m.sum() * batch_size, per_batch)
    if full < n:  # The remainder, as one more (smaller) batch.
      rest = remainder(state, {"image": split.images[full:], "label": split.labels[full:]},
                       jax.random.fold_in(rng, n))
      rest = jax.tree.map(lambda m: m * (n - full), rest)
      sums = rest if sums is None else jax.tree.map(jnp.add, sums, rest)
    return {k: float(v) / n for k, v in sums.items()}
  return evaluate
