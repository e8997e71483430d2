"""Orbax checkpoints of a TrainState (step, params, optimizer state) under WORKDIR/checkpoints.

Orbax writes each step into a temporary directory and renames it when complete, so a run killed
mid-save leaves no half-written checkpoint; `latest_step()` only sees finished ones.
"""

import os

import jax
import orbax.checkpoint as ocp

from ae.cli import RunError


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


def _items(state) -> dict:
  return {"step": state.step, "params": state.params, "opt_state": state.opt_state}


def save(mngr: ocp.CheckpointManager, step: int, state) -> None:
  mngr.save(step, args=ocp.args.StandardSave(_items(state)))
  mngr.wait_until_finished()


def restore(mngr: ocp.CheckpointManager, state, step: int | None = None):
  """`state` with step, params and opt_state from the checkpoint (latest when step is None)."""
  step = mngr.latest_step() if step is None else step
  abstract = jax.tree.map(ocp.utils.to_shape_dtype_struct, _items(state))
  try:
    restored = mngr.restore(step, args=ocp.args.StandardRestore(abstract))
  except Exception as e:  # Orbax and TensorStore raise many types for unreadable files.
    detail = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
    raise RunError(
        f"the checkpoint {os.path.join(str(mngr.directory), str(step))} cannot be read "
        f"({type(e).__name__}: {detail[:200]}); delete that directory to fall back to an earlier "
        "checkpoint, or train into a new --workdir.") from e
  return state.replace(**restored)
