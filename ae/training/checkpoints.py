"""Orbax checkpoints of a whole train state under WORKDIR/checkpoints, whatever it holds.

The state (any pytree: flax's TrainState, or a family's own struct with several parameter trees
and optimizer states) is saved as its flax state dict, so every array in it is saved and
restored: nothing is picked by hand, and a new field cannot be silently lost on resume.

Orbax writes each step into a temporary directory and renames it when complete, so a run killed
mid-save leaves no half-written checkpoint; `latest_step()` only sees finished ones.

Integrity: once a step is written, the SHA-256 of each of its files goes into
`checkpoints/STEP/ae_sha256.json`; `restore` recomputes them first, so a checkpoint whose bytes
changed (bit rot, a copy cut short) is refused with the file named instead of being loaded. It
also compares the checkpoint's array shapes with the state it restores into, so a checkpoint of
another architecture is reported as the shapes that differ (`MismatchError`).
"""

import hashlib
import os
import re

import jax
from flax import serialization

from ae import io
from ae.errors import CheckpointError, MismatchError

CHECKSUMS = "ae_sha256.json"


def _ocp():
  """orbax.checkpoint, imported on first use: its import is not on the way to a run's first step
  (`ae.training.loop` imports it in the background during the first compile)."""
  import orbax.checkpoint as ocp   # pylint: disable=g-import-not-at-top
  io.quiet_closed_event_loops()
  return ocp


def manager(workdir: str, keep: int = 3):
  """orbax's CheckpointManager for WORKDIR/checkpoints (created on its first save)."""
  ocp = _ocp()
  options = ocp.CheckpointManagerOptions(max_to_keep=keep, create=True,
                                         enable_async_checkpointing=False)
  return ocp.CheckpointManager(os.path.abspath(os.path.join(workdir, "checkpoints")),
                               options=options, item_handlers=ocp.StandardCheckpointHandler())


def latest_step(workdir: str) -> int | None:
  """The step of workdir's latest finished checkpoint, or None (creates nothing). Orbax writes
  a step under a temporary name and renames it to the bare step number when it is complete, so
  the finished steps are the directories named by a number alone (no orbax import needed)."""
  directory = os.path.join(workdir, "checkpoints")
  try:
    names = os.listdir(directory)
  except (FileNotFoundError, NotADirectoryError):
    return None
  steps = [int(n) for n in names
           if re.fullmatch(r"\d+", n) and os.path.isdir(os.path.join(directory, n))]
  return max(steps, default=None)


def step_dir(mngr, step: int) -> str:
  return os.path.join(str(mngr.directory), str(step))


def file_checksums(directory: str) -> dict:
  """{relative path: sha256 hex} of every file under directory but the checksum file itself."""
  out = {}
  for root, _, files in os.walk(directory):
    for name in files:
      path = os.path.join(root, name)
      rel = os.path.relpath(path, directory)
      if rel == CHECKSUMS:
        continue
      digest = hashlib.sha256()
      with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
          digest.update(block)
      out[rel] = digest.hexdigest()
  return dict(sorted(out.items()))


def save(mngr, step: int, state) -> None:
  """Saves `state` as checkpoint `step` and records its checksums. SIGINT and SIGTERM wait until
  both are written (`io.signals_deferred`). A refused write (a full disk) raises OutputError
  naming the checkpoint."""
  directory = step_dir(mngr, step)
  with io.signals_deferred():
    try:
      with io.stderr_kept_on_success():
        mngr.save(step, args=_ocp().args.StandardSave(serialization.to_state_dict(state)))
        mngr.wait_until_finished()
    except Exception as e:  # Orbax and TensorStore wrap the system's error in their own types.
      error = io.output_error(directory, e)
      if error is None:
        raise
      raise error from e
    if jax.process_index() == 0:   # Several processes: orbax wrote collectively; one records.
      io.write_json(os.path.join(directory, CHECKSUMS), file_checksums(directory))


def verify(mngr, step: int) -> None:
  """Raises CheckpointError when a file of the checkpoint differs from its recorded checksum
  (a checkpoint written before checksums were recorded is not checked)."""
  directory = step_dir(mngr, step)
  path = os.path.join(directory, CHECKSUMS)
  if not os.path.exists(path):
    return
  try:
    recorded = io.read_json(path)
  except ValueError as e:
    raise CheckpointError(directory, f"its checksum file {CHECKSUMS} is not valid JSON") from e
  found = file_checksums(directory)
  for rel in sorted(set(recorded) | set(found)):
    if rel not in found:
      raise CheckpointError(directory, f"its file {rel} is missing")
    if recorded.get(rel) != found[rel]:
      what = ("was not there when it was written" if rel not in recorded else
              "changed since it was written (its SHA-256 differs from the recorded one)")
      raise CheckpointError(directory, f"its file {rel} {what}")


def _shape_differences(saved, expected) -> list:
  saved_flat = {jax.tree_util.keystr(k, simple=True, separator="."): v for k, v in
                jax.tree_util.tree_flatten_with_path(saved)[0]}
  expected_flat = {jax.tree_util.keystr(k, simple=True, separator="."): v for k, v in
                   jax.tree_util.tree_flatten_with_path(expected)[0]}
  out = []   # Parameters first: they say what differs; optimizer states repeat it.
  for name in sorted(set(saved_flat) | set(expected_flat),
                     key=lambda n: (not n.startswith("params"), n)):
    if name not in saved_flat:
      out.append(f"{name} is not in the checkpoint")
    elif name not in expected_flat:
      out.append(f"{name} is in the checkpoint but not in this model")
    elif tuple(saved_flat[name].shape) != tuple(expected_flat[name].shape):
      out.append(f"{name} is {tuple(saved_flat[name].shape)} in the checkpoint and "
                 f"{tuple(expected_flat[name].shape)} in this model")
  return out


def restore(mngr, state, step: int | None = None):
  """`state` with every array replaced by the checkpoint's (latest when step is None); each
  restored array gets the sharding of the array it replaces. Verifies the checksums first and
  raises MismatchError when the shapes differ."""
  ocp = _ocp()
  step = mngr.latest_step() if step is None else step
  directory = step_dir(mngr, step)
  verify(mngr, step)
  abstract = jax.tree.map(ocp.utils.to_shape_dtype_struct, serialization.to_state_dict(state))
  try:
    metadata = mngr.item_metadata(step)
    saved = getattr(metadata, "tree", metadata)
    differences = _shape_differences(saved, abstract) if saved is not None else []
  except Exception:  # Unreadable metadata: the restore below reports it.
    differences = []
  if differences:
    raise MismatchError(directory, differences)
  try:
    with io.stderr_kept_on_success():   # A failed read prints a traceback per orbax task.
      restored = mngr.restore(step, args=ocp.args.StandardRestore(abstract))
  except Exception as e:  # Orbax and TensorStore raise many types for unreadable files.
    detail = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
    raise CheckpointError(directory, f"{type(e).__name__}: {detail[:200]}") from e
  return serialization.from_state_dict(state, restored)
