"""Orbax checkpoints of a whole train state under WORKDIR/checkpoints, whatever it holds.

The state (any pytree: flax's TrainState, or a family's own struct with several parameter trees
and optimizer states) is saved as its flax state dict, so every array in it is saved and
restored: nothing is picked by hand, and a new field cannot be silently lost on resume.

Orbax writes each step into a temporary directory and renames it when complete, so a run killed
mid-save leaves no half-written checkpoint; `latest_step()` only sees finished ones.
"""

import os

import jax
import orbax.checkpoint as ocp
from flax import serialization

from ae.errors import CheckpointError


def manager(workdir: str, keep: int = 3) -> ocp.CheckpointManager:
  options = ocp.CheckpointManagerOptions(max_to_keep=keep, create=True,
                                         enable_async_checkpointing=False)
  return ocp.CheckpointManager(os.path.abspath(os.path.join(workdir, "checkpoints")),
                               options=options)


def latest_step(workdir: str) -> int | None:
  """The step of workdir's latest finished checkpoint, or None (creates nothing)."""
  if not os.path.isdir(os.path.join(workdir, "checkpoints")):
    return None
  mngr = manager(workdir)
  try:
    return mngr.latest_step()
  finally:
    mngr.close()


def save(mngr: ocp.CheckpointManager, step: int, state) -> None:
  mngr.save(step, args=ocp.args.StandardSave(serialization.to_state_dict(state)))
  mngr.wait_until_finished()


def restore(mngr: ocp.CheckpointManager, state, step: int | None = None):
  """`state` with every array replaced by the checkpoint's (latest when step is None); each
  restored array gets the sharding of the array it replaces."""
  step = mngr.latest_step() if step is None else step
  abstract = jax.tree.map(ocp.utils.to_shape_dtype_struct, serialization.to_state_dict(state))
  try:
    restored = mngr.restore(step, args=ocp.args.StandardRestore(abstract))
  except Exception as e:  # Orbax and TensorStore raise many types for unreadable files.
    detail = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
    raise CheckpointError(os.path.join(str(mngr.directory), str(step)),
                          f"{type(e).__name__}: {detail[:200]}") from e
  return serialization.from_state_dict(state, restored)
