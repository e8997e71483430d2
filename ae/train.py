"""The one training core every model uses.

  make_train_step(objective)         objective (params, batch, rng) -> (loss, metrics) becomes a
                                     pure, jitted step (state, batch, rng) -> (state, metrics)
                                     with the state donated
  make_train_epoch(step, batch_size) a whole epoch as one compiled call: the split lives on the
                                     device, indices are shuffled with jax.random, all steps run
                                     under jax.lax.scan; the state is donated
  make_evaluate(objective, bs)       batched, jitted evaluation over a device-resident split
  train_and_evaluate(config, wd)     the loop: metrics.jsonl, TensorBoard, orbax checkpoints,
                                     resume from the latest checkpoint, NaN guard, progress
"""

import json
import os
import sys
import time
from typing import Callable

import jax
import jax.numpy as jnp
import numpy as np
import optax
from flax.training import train_state

from ae import checkpoints, cli, data, models, objectives
from ae.config import TrainConfig

TrainState = train_state.TrainState


def make_train_step(objective: Callable) -> Callable:
  """(state, batch, rng) -> (state, metrics): one gradient step on the objective, jitted, with
  the state donated. Called alone it is a step; inside `make_train_epoch` it is inlined."""
  def train_step(state: TrainState, batch: dict, rng: jax.Array):
    grads, metrics = jax.grad(objective, has_aux=True)(state.params, batch, rng)
    return state.apply_gradients(grads=grads), metrics
  return jax.jit(train_step, donate_argnums=0)


def make_train_epoch(train_step: Callable, batch_size: int) -> Callable:
  """(state, images, labels, rng) -> (state, mean metrics); the last partial batch is dropped."""
  def train_epoch(state, images, labels, rng):
    steps = images.shape[0] // batch_size
    perm_rng, step_rng = jax.random.split(rng)
    order = jax.random.permutation(perm_rng, images.shape[0])[:steps * batch_size]

    def body(state, inputs):
      i, idx = inputs
      batch = {"image": images[idx], "label": labels[idx]}
      return train_step(state, batch, jax.random.fold_in(step_rng, i))

    state, metrics = jax.lax.scan(body, state, (jnp.arange(steps),
                                                order.reshape(steps, batch_size)))
    return state, jax.tree.map(jnp.mean, metrics)
  return jax.jit(train_epoch, donate_argnums=0)


def make_evaluate(objective: Callable, batch_size: int) -> Callable:
  """(params, images, labels, rng) -> metrics averaged over every example (the remainder too)."""
  @jax.jit
  def full_batches(params, images, labels, rng):
    n = (images.shape[0] // batch_size) * batch_size
    xs = (images[:n].reshape(-1, batch_size, *images.shape[1:]),
          labels[:n].reshape(-1, batch_size))
    keys = jax.random.split(rng, xs[1].shape[0])
    return jax.lax.map(lambda a: objective(params, {"image": a[0], "label": a[1]}, a[2])[1],
                       (*xs, keys))

  jitted_objective = jax.jit(objective)

  def evaluate(params, images, labels, rng):
    n = images.shape[0]
    full = (n // batch_size) * batch_size
    sums, count = None, 0
    if full:
      per_batch = full_batches(params, images, labels, rng)
      sums, count = jax.tree.map(lambda m: m.sum() * batch_size, per_batch), full
    if full < n:  # The remainder, as one more (smaller) batch.
      _, rest = jitted_objective(params, {"image": images[full:], "label": labels[full:]},
                                 jax.random.fold_in(rng, n))
      rest = jax.tree.map(lambda m: m * (n - full), rest)
      sums = rest if sums is None else jax.tree.map(jnp.add, sums, rest)
      count = n
    return {k: float(v) / count for k, v in sums.items()}
  return evaluate


# ----------------------------------------------------------------------------- set-up


def load_splits(config: TrainConfig):
  """Train and test splits as device arrays: images uint8 [N, 784], labels int32 [N]. With
  dynamic binarization the test images are binarized once, with a fixed seed."""
  out = {}
  for split, limit in (("train", config.max_train_examples), ("test", config.max_test_examples)):
    s = data.load(config.dataset, split, config.data_dir, max_examples=limit)
    images = jnp.asarray(s.images.reshape(s.images.shape[0], -1))
    if split == "test" and config.binarize == "dynamic":
      images = (data.binarize_fixed(data.to_float(images), seed=1234) * 255).astype(jnp.uint8)
    out[split] = (images, jnp.asarray(s.labels), s.source)
  return out


def create_state(config: TrainConfig, num_pixels: int = 784):
  """The model and a fresh TrainState (params initialised from config.seed)."""
  model = models.build(config, num_pixels)
  params = model.init(jax.random.PRNGKey(config.seed), jnp.zeros((1, num_pixels)))
  state = TrainState.create(apply_fn=model.apply, params=params,
                            tx=optax.adam(config.learning_rate))
  return model, state


def _read_metrics(path: str, upto_epoch: int) -> list:
  if not os.path.exists(path):
    return []
  with open(path) as f:
    rows = [json.loads(line) for line in f if line.strip()]
  return [r for r in rows if r["epoch"] <= upto_epoch]


def _progress(total: int, initial: int):
  if sys.stderr.isatty():
    from tqdm import tqdm
    return tqdm(total=total, initial=initial, unit="epoch", dynamic_ncols=True)
  return None


def train_and_evaluate(config: TrainConfig, workdir: str, splits: dict | None = None,
                       on_epoch: Callable | None = None):
  """Trains config's model, resuming from workdir's latest checkpoint if there is one.

  `splits` (from `load_splits(config)`) is loaded when not given. `on_epoch(epoch, state, row)`
  is called after each epoch's checkpoint. Returns (state, history), history being the list of
  per-epoch metric dicts.
  """
  from flax.metrics import tensorboard

  config.validate()
  os.makedirs(workdir, exist_ok=True)
  splits = splits or load_splits(config)
  (train_images, train_labels, _), (test_images, test_labels, _) = (
      splits["train"], splits["test"])
  if train_images.shape[0] < config.batch_size:
    raise cli.RunError(f"the training split has {train_images.shape[0]} examples, fewer than "
                       f"--batch_size={config.batch_size}; lower --batch_size.")
  model, state = create_state(config, train_images.shape[1])
  manager = checkpoints.manager(workdir, config.keep_checkpoints)
  start_epoch = 0
  if manager.latest_step() is not None:
    state = checkpoints.restore(manager, state)
    start_epoch = int(manager.latest_step())
    print(f"resuming from the checkpoint of epoch {start_epoch} in {workdir}", file=sys.stderr)
  metrics_path = os.path.join(workdir, "metrics.jsonl")
  history = _read_metrics(metrics_path, start_epoch)
  cli.write_lines(metrics_path, [json.dumps(r) for r in history])  # Drop unfinished epochs.

  train_epoch = make_train_epoch(make_train_step(objectives.make_objective(config, model)),
                                 config.batch_size)
  evaluate = make_evaluate(objectives.make_objective(config, model, train=False),
                           config.eval_batch_size)
  rng = jax.random.PRNGKey(config.seed)
  train_rng, eval_rng = jax.random.split(jax.random.fold_in(rng, 1))
  writer = tensorboard.SummaryWriter(workdir)
  bar = _progress(config.epochs, start_epoch)
  steps_per_epoch = train_images.shape[0] // config.batch_size
  try:
    for epoch in range(start_epoch + 1, config.epochs + 1):
      start = time.perf_counter()
      state, train_metrics = train_epoch(state, train_images, train_labels,
                                         jax.random.fold_in(train_rng, epoch))
      train_metrics = {k: float(v) for k, v in train_metrics.items()}
      seconds = time.perf_counter() - start
      if not np.isfinite(train_metrics["loss"]):
        raise cli.RunError(
            f"training diverged: the train loss became {train_metrics['loss']} in epoch {epoch}; "
            f"lower --learning_rate (now {config.learning_rate:g}) or check the likelihood "
            f"(--likelihood={config.likelihood}, --sigma={config.sigma:g}), and train again.")
      test_metrics = evaluate(state.params, test_images, test_labels, eval_rng)
      row = {"epoch": epoch, "step": epoch * steps_per_epoch,
             **{f"train_{k}": v for k, v in train_metrics.items()},
             **{f"test_{k}": v for k, v in test_metrics.items()},
             "epoch_seconds": seconds,
             "train_examples_per_second": steps_per_epoch * config.batch_size / seconds}
      history.append(row)
      cli.append_line(metrics_path, json.dumps(row))
      for key, value in row.items():
        if key not in ("epoch", "step"):
          writer.scalar(key, value, epoch)
      writer.flush()
      checkpoints.save(manager, epoch, state)
      message = (f"epoch {epoch}/{config.epochs}: train loss {row['train_loss']:.3f}, "
                 f"test loss {row['test_loss']:.3f}, {row['train_examples_per_second']:.0f} ex/s")
      if bar is not None:
        bar.update(1)
        bar.set_postfix_str(message.split(": ", 1)[1])
      else:
        print(message, file=sys.stderr, flush=True)
      if on_epoch is not None:
        on_epoch(epoch, state, row)
  finally:
    if bar is not None:
      bar.close()
    writer.close()
    manager.close()
  return state, history
