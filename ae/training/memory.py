"""Memory, checked before work starts: what a run will hold at once, against what the device has.

  available()                 (bytes free for this process on the default device, its words):
                              an accelerator's allocator limit less what is in use; on CPU the
                              kernel's MemAvailable, capped by the cgroup's limit
  training_bytes(state, ...)  the train state (its exact shapes from jax.eval_shape: the
                              parameters, Adam's two moments, the step) twice over (the update
                              writes a new state while the old one is alive), the training data
                              on the device, and the activations of one batch: each layer's
                              output kept for the backward pass, a few buffers of the widest
                              layer per example, times the samples per example
  shortfall(needed)           the sentence's end when `needed` bytes cannot fit, else None

The estimates are lower bounds of the peak (XLA adds its own temporaries), so a refusal is
certain to be right; a run that passes and still runs out is worded by the binaries as one
sentence too (`is_out_of_memory`).
"""

import os

import jax
import numpy as np

# Of the free memory, the share a run may plan for: the rest is XLA's temporaries, the host's
# copies of the data, the interpreter and its libraries.
USABLE_FRACTION = 0.8


def _cgroup_limit() -> int | None:
  for path in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
    try:
      with open(path) as f:
        text = f.read().strip()
    except OSError:
      continue
    if text.isdigit() and int(text) < 2 ** 60:
      return int(text)
  return None


def _mem_available() -> int:
  try:
    with open("/proc/meminfo") as f:
      for line in f:
        if line.startswith("MemAvailable:"):
          return int(line.split()[1]) * 1024
  except OSError:
    pass
  return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")


def available(device=None) -> tuple[int, str]:
  """(bytes free on `device` (default: the first), how to name it in a sentence)."""
  device = device or jax.devices()[0]
  stats = None
  if device.platform != "cpu":
    try:
      stats = device.memory_stats()
    except Exception:  # noqa: BLE001 (a backend without statistics)
      stats = None
  if stats and stats.get("bytes_limit"):
    free = int(stats["bytes_limit"]) - int(stats.get("bytes_in_use", 0))
    return free, f"the {device.device_kind} ({device.platform})"
  free = _mem_available()
  limit = _cgroup_limit()
  if limit is not None:
    free = min(free, limit)
  return free, "this machine's memory (cpu)"


def human(n: float) -> str:
  for unit in ("bytes", "KB", "MB", "GB", "TB", "PB"):
    if abs(n) < 1000 or unit == "PB":
      return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
    n /= 1000
  return f"{n:.1f} EB"


def tree_bytes(tree) -> int:
  return int(sum(np.prod(x.shape, dtype=np.float64) * np.dtype(x.dtype).itemsize
                 for x in jax.tree_util.tree_leaves(tree)))


def activation_bytes(batch: int, num_pixels: int, widths, latent_dim: int,
                     samples: int = 1, outputs_per_pixel: int = 1) -> int:
  """float32 activations of one batch through an encoder of `widths` (per example: a dense
  layer's width, a feature map's H W C) and its mirrored decoder: every layer's output (kept
  for the backward pass) plus four buffers of the widest layer."""
  outputs = num_pixels * outputs_per_pixel
  layer_outputs = num_pixels + outputs + 2 * sum(widths) + 3 * latent_dim
  widest = max([outputs, latent_dim, *widths])
  return int(4 * batch * samples * (layer_outputs + 4 * widest))


def training_bytes(state_shapes, batch: int, eval_batch: int, num_pixels: int, widths,
                   latent_dim: int, data_bytes: int, samples: int = 1,
                   outputs_per_pixel: int = 1) -> dict:
  """The parts of a training run's peak, in bytes (see the module docstring)."""
  one = lambda b: activation_bytes(b, num_pixels, widths, latent_dim, samples, outputs_per_pixel)
  return {"state": 2 * tree_bytes(state_shapes), "data": int(data_bytes),
          "activations": max(one(batch), one(eval_batch) // 2)}


def shortfall(needed: float, what: str = "") -> str | None:
  """None when `needed` bytes fit in the usable share of the free memory, else the end of the
  sentence: "needs about 640.0 GB (what), more than the 19.2 GB free in this machine's memory
  (cpu)"."""
  free, where = available()
  if needed <= USABLE_FRACTION * free:
    return None
  return (f"needs about {human(needed)}{f' ({what})' if what else ''}, more than the "
          f"{human(USABLE_FRACTION * free)} a run can use of {where}")


def is_out_of_memory(e: BaseException) -> bool:
  """An allocation that failed anyway: MemoryError, or XLA's RESOURCE_EXHAUSTED."""
  if isinstance(e, MemoryError):
    return True
  text = str(e)
  return "RESOURCE_EXHAUSTED" in text or "Out of memory" in text or "out of memory" in text
