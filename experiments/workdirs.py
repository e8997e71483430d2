"""Who may write a workdir: one live process at a time (the OS lock of `io.lock_directory`), and
only the binary that first wrote it, or one allowed to add to its outputs (`evaluate` adds
eval.json and its figures to a training run). `take` returns the refusal in words, or None."""

import os
import sys

from ae import io

# Which binaries may write into a workdir that another binary first wrote.
MAY_TAKE_OVER = {"train": {"evaluate"}}
READERS = set().union(*MAY_TAKE_OVER.values())   # binaries that add to other binaries' runs


def binary_name() -> str:
  """This binary's module name (train for python -m experiments.train)."""
  main = sys.modules.get("__main__")
  return os.path.splitext(os.path.basename(getattr(main, "__file__", None) or "python"))[0]


def _command() -> str:
  return " ".join(["python -m experiments." + binary_name(), *sys.argv[1:]])[:500]


def owner(workdir: str, recorded: dict | None = None) -> str | None:
  """The binary that first wrote workdir: what its lock file records, else "train" for a
  training run written before workdirs recorded their owner, else None."""
  if recorded is None:
    recorded = io.read_lock(workdir)
  found = recorded.get("owner")
  if found is None and os.path.exists(os.path.join(workdir, "config.json")) and os.path.isdir(
      os.path.join(workdir, "checkpoints")):
    found = "train"
  return found


def take(workdir: str) -> str | None:
  """Takes workdir's lock for this process; the refusal (naming --workdir) when another live
  process holds it or another binary wrote it, else None. OSError when it cannot be locked."""
  binary = binary_name()
  try:
    before = io.lock_directory(workdir, binary, _command(), claim=binary not in READERS)
  except io.Locked as e:
    pid = e.holder.get("pid", "unknown")
    what = f" (python -m experiments.{e.holder['binary']})" if e.holder.get("binary") else ""
    return (f"{workdir} is in use by process {pid}{what}; wait for it to end or stop it "
            f"(kill {pid}), or choose another --workdir.")
  first = owner(workdir, before)
  if first and first != binary and binary not in MAY_TAKE_OVER.get(first, ()):
    if binary in READERS:
      return not_a_run(workdir, first)
    return (f"{workdir} holds the outputs of python -m experiments.{first}, which "
            f"experiments.{binary} would overwrite; choose another --workdir.")
  return None


def not_a_run(workdir: str, first: str) -> str:
  return (f"{workdir} holds the outputs of python -m experiments.{first}, not a training run; "
          "name the workdir of python -m experiments.train.")
