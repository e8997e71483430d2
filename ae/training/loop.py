"""The training loop every model family goes through: set-up, loop, close.

  load_splits(config, mesh)          train and test `Split`s replicated on the mesh's devices
  create_state(model, config, mesh)  the whole train state, initialised in one jitted call
  train_and_evaluate(config, wd)     trains, resuming from workdir's latest checkpoint; writes
                                     metrics.jsonl, TensorBoard and checkpoints; stops on a
                                     non-finite loss (DivergedError) before checkpointing it
  restore_run(workdir)               the config, model and restored state of a finished run
"""

import json
import os
import sys
import time
from typing import Callable, NamedTuple

import jax
import numpy as np

from ae import data, io, models
from ae.errors import ConfigError, DivergedError
from ae.training import checkpoints, config as config_lib, metric_writers, sharding, step


class TrainResult(NamedTuple):
  model: object       # the family instance (`ae.models.base.Model`)
  state: object       # the final train state
  history: list       # one dict per epoch, as in metrics.jsonl
  splits: dict        # {"train": Split, "test": Split} on the devices


def load_splits(config, mesh=None) -> dict:
  """Train and test splits, replicated on every device of `mesh`. With binarization the test
  images are binarized once, with a fixed seed (`data.preprocess(..., "fixed")`)."""
  mesh = mesh or sharding.data_mesh()
  d = config.data
  out = {}
  for split, limit in (("train", d.max_train_examples), ("test", d.max_test_examples)):
    s = data.load(d.dataset, split, d.data_dir, max_examples=limit)
    if split == "test" and d.binarize != "none":
      binary = data.preprocess(s.images, "fixed") * 255
      s = s.replace(images=np.asarray(binary, np.uint8).reshape(s.images.shape))
    out[split] = sharding.replicate(s, mesh)
  return out


def create_state(model, mesh=None):
  """The model's whole train state from config.train.seed, in one compiled call, replicated."""
  mesh = mesh or sharding.data_mesh()
  init = jax.jit(model.init_state, out_shardings=sharding.replicated(mesh))
  return init(jax.random.PRNGKey(model.config.train.seed))


def _read_history(path: str, upto_epoch: int) -> list:
  if not os.path.exists(path):
    return []
  with open(path) as f:
    rows = [json.loads(line) for line in f if line.strip()]
  return [r for r in rows if r["epoch"] <= upto_epoch]


def train_and_evaluate(config, workdir: str, splits: dict | None = None,
                       on_epoch: Callable | None = None, mesh=None) -> TrainResult:
  """Trains config's model into workdir, resuming from its latest checkpoint if there is one.

  `splits` (from `load_splits`) are loaded when not given; `mesh` defaults to every local
  device. `on_epoch(epoch, state, row)` is called after each epoch's checkpoint.
  """
  config_lib.validate(config)
  mesh = mesh or sharding.data_mesh()
  tc = config.train
  sharding.check_batch_size("train.batch_size", tc.batch_size, mesh)
  os.makedirs(workdir, exist_ok=True)
  splits = splits or load_splits(config, mesh)
  train_split, test_split = splits["train"], splits["test"]
  if train_split.size < tc.batch_size:
    raise ConfigError("train.batch_size", f"{tc.batch_size} is more than the {train_split.size} "
                      "training examples; lower it.")
  model = models.build(config, int(np.prod(train_split.images.shape[1:])))
  model.attach_training_data(train_split)
  state = create_state(model, mesh)
  manager = checkpoints.manager(workdir, tc.keep_checkpoints)
  start_epoch = 0
  if manager.latest_step() is not None:
    state = checkpoints.restore(manager, state)
    start_epoch = int(manager.latest_step())
    print(f"resuming from the checkpoint of epoch {start_epoch} in {workdir}", file=sys.stderr)
  metrics_path = os.path.join(workdir, "metrics.jsonl")
  history = _read_history(metrics_path, start_epoch)
  io.write_lines(metrics_path, [json.dumps(r) for r in history])  # Drop unfinished epochs.

  train_epoch = step.make_train_epoch(model.train_step(), tc.batch_size, mesh)
  evaluate = step.make_evaluate(model.eval_step, tc.eval_batch_size, mesh)
  train_rng, eval_rng = jax.random.split(jax.random.fold_in(jax.random.PRNGKey(tc.seed), 1))
  writer = metric_writers.MultiWriter([
      metric_writers.JsonlWriter(metrics_path), metric_writers.TensorBoardWriter(workdir),
      metric_writers.ProgressWriter(tc.epochs, start_epoch, model.headline)])
  steps_per_epoch = train_split.size // tc.batch_size
  try:
    for epoch in range(start_epoch + 1, tc.epochs + 1):
      start = time.perf_counter()
      state, train_metrics = train_epoch(state, train_split, jax.random.fold_in(train_rng, epoch))
      train_metrics = {k: float(v) for k, v in train_metrics.items()}   # Waits for the epoch.
      seconds = time.perf_counter() - start
      if not np.isfinite(train_metrics["loss"]):
        raise DivergedError(epoch, train_metrics["loss"])
      test_metrics = evaluate(state, test_split, eval_rng)
      row = {"epoch": epoch, "step": epoch * steps_per_epoch,
             **{f"train_{k}": v for k, v in train_metrics.items()},
             **{f"test_{k}": v for k, v in test_metrics.items()},
             "epoch_seconds": seconds,
             "train_examples_per_second": steps_per_epoch * tc.batch_size / seconds,
             "num_devices": int(mesh.devices.size)}
      history.append(row)
      writer.write_scalars(epoch, row)
      writer.write_images(epoch, model.summary_images(state, test_split))
      writer.flush()
      checkpoints.save(manager, epoch, state)
      if on_epoch is not None:
        on_epoch(epoch, state, row)
  finally:
    writer.close()
    manager.close()
  return TrainResult(model, state, history, splits)


def restore_run(workdir: str, mesh=None):
  """(config, model, state) of the run in workdir, restored from its latest checkpoint.
  Raises FileNotFoundError when there is no config.json or no finished checkpoint."""
  path = os.path.join(workdir, "config.json")
  config = config_lib.from_dict(io.read_json(path))
  if checkpoints.latest_step(workdir) is None:
    raise FileNotFoundError(os.path.join(workdir, "checkpoints"))
  model = models.build(config)
  state = create_state(model, mesh)
  mngr = checkpoints.manager(workdir, config.train.keep_checkpoints)
  try:
    state = checkpoints.restore(mngr, state)
  finally:
    mngr.close()
  return config, model, state
