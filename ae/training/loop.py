"""The training loop every model family goes through: set-up, loop, close.

  load_splits(config, mesh)          train and test `Split`s replicated on the mesh's devices
  create_state(model, config, mesh)  the whole train state, initialised in one jitted call
  train_and_evaluate(config, wd)     trains, resuming from workdir's latest checkpoint; writes
                                     config.json (once every resume check passed),
                                     metrics.jsonl, TensorBoard and checkpoints; stops when
                                     training diverges (DivergedError, the rule in
                                     ae.training.divergence) before checkpointing that epoch
  restore_run(workdir)               the config, model and restored state of a finished run
  check_data(workdir, splits)        refuses data other than the run was trained on

The run's records survive interruptions: metrics.jsonl keeps only whole lines of checkpointed
epochs (a torn last line, from a crash or a full disk, is dropped with a note), and config.json
is written only after the checkpoint was restored (so a refused resume changes nothing).
"""

import importlib
import json
import os
import sys
import threading
import time
from typing import Callable, NamedTuple

import jax
import numpy as np

from ae import data, io, models
from ae.errors import ConfigError, DataError, DataMismatchError, DivergedError
from ae.training import (checkpoints, config as config_lib, distributed, divergence, memory,
                         metric_writers, sharding, step)


class TrainResult(NamedTuple):
  model: object       # the family instance (`ae.models.base.Model`)
  state: object       # the final train state
  history: list       # one dict per epoch, as in metrics.jsonl
  splits: dict        # {"train": Split, "test": Split} on the devices


def load_splits(config, mesh=None, host_train: bool = False) -> dict:
  """Train and test splits, replicated on every device of `mesh` (the train split stays on the
  host with `host_train`: several processes feed their slices of its batches). With binarization
  the test images are binarized once, with a fixed seed (`data.preprocess(..., "fixed")`)."""
  mesh = mesh or sharding.data_mesh()
  d = config.data
  out = {}
  for split, limit in (("train", d.max_train_examples), ("test", d.max_test_examples)):
    s = data.load(d.dataset, split, d.data_dir, max_examples=limit, size=d.image_size,
                  channels=d.channels, test_fraction=d.test_fraction, split_seed=d.split_seed)
    if split == "test" and d.binarize != "none":
      binary = data.preprocess(s.images, "fixed") * 255
      s = s.replace(images=np.asarray(binary, np.uint8).reshape(s.images.shape))
    out[split] = s if (split == "train" and host_train) else sharding.replicate(s, mesh)
  return out


def prefetch_imports() -> threading.Thread:
  """Imports what the end of the first epoch needs (orbax for the checkpoint, matplotlib for the
  summaries and figures) in a background thread, while the first epoch compiles and
  runs: XLA does not hold the GIL. The thread is not a daemon: a run that stops early (a
  divergence in epoch 1, a bad flag) waits for the imports to finish before Python shuts down.
  As a daemon, a thread still inside an extension module's import when the interpreter
  finalized aborted the process (SIGABRT, "FATAL: exception not rethrown") after the error was
  printed: 9 of 24 diverging runs, three at a time on 2 cores; none of 48 with this thread."""
  def imports():
    importlib.import_module("orbax.checkpoint")
    importlib.import_module("ae.evaluation.plots")
  thread = threading.Thread(target=imports, daemon=False, name="prefetch-imports")
  thread.start()
  return thread


def create_state(model, mesh=None):
  """The model's whole train state from config.train.seed, in one compiled call, replicated."""
  mesh = mesh or sharding.data_mesh()
  init = jax.jit(model.init_state, out_shardings=sharding.replicated(mesh))
  return init(jax.random.PRNGKey(model.config.train.seed))


def read_history(path: str, upto_epoch: int) -> list:
  """The rows of metrics.jsonl up to `upto_epoch`; lines that are not whole JSON rows (a torn
  last line) are dropped with a note on stderr."""
  if not os.path.exists(path):
    return []
  rows = []
  with open(path, errors="replace") as f:
    for number, line in enumerate(f, 1):
      if not line.strip():
        continue
      try:
        row = json.loads(line)
        epoch = row["epoch"]
        if not isinstance(epoch, int):
          raise TypeError(epoch)
      except (ValueError, KeyError, TypeError):
        print(f"note: dropped line {number} of {path}, which is not a whole metrics row "
              "(a crash or a full disk cut it short)", file=sys.stderr)
        continue
      if epoch <= upto_epoch:
        rows.append(row)
  return rows


def data_record(splits: dict) -> dict:
  return {"data_source": splits["train"].source,
          "data_fingerprint": data.fingerprint(splits["train"], splits["test"]),
          **splits["train"].spec.to_record()}


def check_splits(train, test) -> None:
  """The test split has the training split's image shape and classes (a user's folder or npz
  file could hold others)."""
  if train.spec != test.spec:
    raise DataError(f"the test split of {test.source} holds images of shape "
                    f"{tuple(test.spec.shape)} with classes {list(test.spec.class_names)}, "
                    f"the training split {tuple(train.spec.shape)} with "
                    f"{list(train.spec.class_names)}; make them agree, or set "
                    "{config}data.image_size and {config}data.channels.")


def check_data(workdir: str, splits: dict) -> dict:
  """The data record of `splits`; DataMismatchError when workdir's config.json recorded other
  data (a run recorded before fingerprints existed is not checked)."""
  found = data_record(splits)
  path = os.path.join(workdir, "config.json")
  if os.path.exists(path):
    try:
      recorded = io.read_json(path)
    except ValueError:
      recorded = {}
    if isinstance(recorded, dict) and recorded.get("data_fingerprint") not in (
        None, found["data_fingerprint"]):
      raise DataMismatchError(workdir, {"source": recorded.get("data_source"),
                                        "fingerprint": recorded.get("data_fingerprint")},
                              {"source": found["data_source"],
                               "fingerprint": found["data_fingerprint"]})
  return found


def layer_widths(config, spec) -> tuple:
  """Per example, the size of each hidden layer's output of the encoder (a dense layer's
  width; a convolution's feature map, H W C): the memory check's shape of the network."""
  m = config.model
  widths = tuple(m.hidden)
  if m.network != "mlp" and spec.is_image:
    h, w = spec.shape[:2]
    widths += tuple((h >> (i + 1)) * (w >> (i + 1)) * c for i, c in enumerate(m.channels))
  return widths


def check_memory(config, model, num_pixels: int, train_split, test_split) -> None:
  """Refuses, before anything is allocated, a run whose state, data and activations cannot fit
  (`ae.training.memory`): ConfigError naming the setting that makes the largest part."""
  tc, m = config.train, config.model
  shapes = jax.eval_shape(model.init_state, jax.random.PRNGKey(0))
  samples = getattr(model, "num_samples", 1) or 1
  data_bytes = sum(np.asarray(s.images).nbytes for s in (train_split, test_split))
  eval_batch = min(tc.eval_batch_size, max(test_split.size, 1))   # no batch exceeds the split
  widths = layer_widths(config, model.spec)
  per_pixel = model.likelihood.outputs_per_pixel
  parts = memory.training_bytes(shapes, tc.batch_size, eval_batch, num_pixels, widths,
                                m.latent_dim, data_bytes, samples, per_pixel)
  said = memory.shortfall(sum(parts.values()), ", ".join(
      f"{memory.human(v)} {k}" for k, v in parts.items()))
  if said is None:
    return
  largest = max(parts, key=parts.get)
  one = memory.activation_bytes(1, num_pixels, widths, m.latent_dim, samples, per_pixel)
  if largest == "activations" and samples > 1 and memory.shortfall(
      32 * one // samples + parts["state"]) is None and memory.shortfall(
      32 * one + parts["state"]) is not None:
    raise ConfigError(f"{model.name}.num_samples", f"{samples} samples of each of "
                      f"{tc.batch_size} examples {said}; lower it (or train.batch_size).")
  if largest == "activations" and memory.shortfall(32 * one + parts["state"]) is None:
    path = ("train.batch_size" if tc.batch_size >= eval_batch // 2
            else "train.eval_batch_size")
    raise ConfigError(path, f"{config_lib.get(config, path)} examples at once {said}; lower it.")
  if largest == "data" and parts["data"] > parts["state"] + parts["activations"]:
    raise ConfigError("data.max_train_examples", f"the data {said}; set it to use fewer "
                      "examples.")
  params = memory.tree_bytes(shapes.params) // 4 if hasattr(shapes, "params") else 0
  widest = "model.hidden" if max(m.hidden, default=0) >= m.latent_dim else "model.latent_dim"
  raise ConfigError(widest, f"{config_lib.get(config, widest)} makes a model of {params:.3g} "
                    f"parameters whose training state {said}; make it smaller.")


def train_and_evaluate(config, workdir: str, splits: dict | None = None,
                       on_epoch: Callable | None = None, mesh=None) -> TrainResult:
  """Trains config's model into workdir, resuming from its latest checkpoint if there is one.

  `splits` (from `load_splits`) are loaded when not given; `mesh` defaults to every local
  device. `on_epoch(epoch, state, row)` is called after each epoch's checkpoint.

  In a multi-process job (`ae.training.distributed`; pass a mesh over `jax.devices()`) every
  process runs this function: each feeds its slice of every batch, orbax writes the checkpoints
  collectively, and only process 0 writes config.json, metrics.jsonl, TensorBoard and
  diverged.json.
  """
  config_lib.validate(config)
  mesh = mesh or sharding.data_mesh()
  tc = config.train
  sharding.check_batch_size("train.batch_size", tc.batch_size, mesh)
  os.makedirs(workdir, exist_ok=True)
  fed = distributed.is_multiprocess()
  primary = distributed.is_primary()
  splits = splits or load_splits(config, mesh, host_train=fed)
  train_split, test_split = splits["train"], splits["test"]
  if train_split.size < tc.batch_size:
    raise ConfigError("train.batch_size", f"{tc.batch_size} is more than the {train_split.size} "
                      "training examples; lower it.")
  check_splits(train_split, test_split)
  num_pixels = train_split.spec.num_pixels
  model = models.build(config, train_split.spec)
  model.attach_training_data(train_split)
  check_memory(config, model, num_pixels, train_split, test_split)
  state = create_state(model, mesh)
  manager = writer = None
  try:   # Whatever stops the run (a refused resume, a full disk, a signal) closes both.
    start_epoch = checkpoints.latest_step(workdir) or 0
    if start_epoch:
      record = check_data(workdir, splits)
      manager = checkpoints.manager(workdir, tc.keep_checkpoints)
      state = checkpoints.restore(manager, state, start_epoch)
      print(f"resuming from the checkpoint of epoch {start_epoch} in {workdir}", file=sys.stderr)
    else:
      record = data_record(splits)
    reference = divergence.mean_image_nll(model, train_split.images)
    limit = divergence.threshold(reference, num_pixels, tc.divergence_factor)
    if primary:
      io.write_json(os.path.join(workdir, "config.json"), {
          **config_lib.to_dict(config), "workdir": workdir, **record,
          "mean_image_nll": reference if np.isfinite(reference) else None,
          "divergence_threshold": limit if np.isfinite(limit) else None})
    metrics_path = os.path.join(workdir, "metrics.jsonl")
    history = read_history(metrics_path, start_epoch)
    if primary:
      io.write_lines(metrics_path, [io.dumps(r) for r in history])  # Drop unfinished epochs.

    make_epoch = step.make_fed_train_epoch if fed else step.make_train_epoch
    scan = step.scan_suits(config.model.network)
    train_epoch = make_epoch(model.train_step(), tc.batch_size, mesh, tc.skip_nonfinite_updates,
                             scan)
    evaluate = step.make_evaluate(model.eval_step, tc.eval_batch_size, mesh, scan)
    summary_images = jax.jit(model.summary_images)   # One program, not one per operation.
    train_rng, eval_rng = jax.random.split(jax.random.fold_in(jax.random.PRNGKey(tc.seed), 1))
    writer = metric_writers.MultiWriter([
        metric_writers.JsonlWriter(metrics_path), metric_writers.TensorBoardWriter(workdir),
        metric_writers.ProgressWriter(tc.epochs, start_epoch, model.headline)] if primary else [])
    steps_per_epoch = train_split.size // tc.batch_size
    prefetch_imports()
    for epoch in range(start_epoch + 1, tc.epochs + 1):
      start = time.perf_counter()
      epoch_rng = jax.random.fold_in(train_rng, epoch)
      if fed:
        images, labels = distributed.epoch_batches(train_split, epoch_rng, tc.batch_size, mesh)
        state, train_metrics = train_epoch(state, images, labels, epoch_rng)
      else:
        state, train_metrics = train_epoch(state, train_split, epoch_rng)
      train_metrics = {k: float(v) for k, v in train_metrics.items()}   # Waits for the epoch.
      seconds = time.perf_counter() - start
      test_metrics = evaluate(state, test_split, eval_rng)
      try:
        divergence.check(epoch, train_metrics, test_metrics, model.reconstruction_metric, limit,
                         steps_per_epoch, tc.skip_nonfinite_updates)
      except DivergedError as e:
        if primary:
          io.write_json(os.path.join(workdir, divergence.MARKER), {
              "epoch": e.epoch, "value": str(e.value), "reason": e.reason,
              "threshold": limit if np.isfinite(limit) else None,
              "last_checkpoint": checkpoints.latest_step(workdir)})
        raise
      row = {"epoch": epoch, "step": epoch * steps_per_epoch,
             **{f"train_{k}": v for k, v in train_metrics.items()},
             **{f"test_{k}": v for k, v in test_metrics.items()},
             "epoch_seconds": seconds,
             "train_examples_per_second": steps_per_epoch * tc.batch_size / seconds,
             "num_devices": int(mesh.devices.size)}
      history.append(row)
      writer.write_scalars(epoch, row)
      writer.write_images(epoch, summary_images(state, test_split))
      writer.flush()
      if manager is None:   # Orbax is imported by then (prefetched during the first compile).
        manager = checkpoints.manager(workdir, tc.keep_checkpoints)
      checkpoints.save(manager, epoch, state)
      if on_epoch is not None:
        on_epoch(epoch, state, row)
    marker = os.path.join(workdir, divergence.MARKER)
    if primary and os.path.exists(marker):   # Trained past the epoch that diverged before.
      os.unlink(marker)
  finally:
    if writer is not None:
      writer.close()
    if manager is not None:
      manager.close()
  return TrainResult(model, state, history, splits)


def restore_run(workdir: str, mesh=None, compute_dtype: str | None = None):
  """(config, model, state) of the run in workdir, restored from its latest checkpoint; with
  compute_dtype, its networks compute in that dtype instead of the one it trained in (the
  parameters are float32 either way).
  Raises FileNotFoundError when there is no config.json or no finished checkpoint, and
  DivergedError when the run diverged (its diverged.json)."""
  marker = os.path.join(workdir, divergence.MARKER)
  if os.path.exists(marker):
    try:
      record = io.read_json(marker)
      raise DivergedError(int(record["epoch"]), float(record["value"]), str(record["reason"]))
    except (ValueError, KeyError, TypeError):
      raise DivergedError(0, float("nan"), f"{marker} says so") from None
  path = os.path.join(workdir, "config.json")
  record = io.read_json(path)
  config = config_lib.from_dict(record)
  if compute_dtype is not None:
    config.train.compute_dtype = compute_dtype
    config_lib.validate(config)
  if checkpoints.latest_step(workdir) is None:
    raise FileNotFoundError(os.path.join(workdir, "checkpoints"))
  model = models.build(config, data.Spec.from_record(record))
  state = create_state(model, mesh)
  mngr = checkpoints.manager(workdir, config.train.keep_checkpoints)
  try:
    state = checkpoints.restore(mngr, state)
  finally:
    mngr.close()
  return config, model, state
