"""What a measurement ran on, for every benchmark and results table: the CPU model, whether it
has AMX (bfloat16 matrix units) and avx512_bf16, the core count, the JAX backend; and the
machine's jitted matmul rates in float32 and in bfloat16 (float32 accumulation), measured now.

  describe() -> {"cpu", "amx_bf16", "avx512_bf16", "cpu_count", "backend", "jax", "date"}
  matmul_gflops(n, dtype) -> the best GFLOP/s of a jitted n x n matmul
  median_seconds(fn, *args) -> the median time of one call of a jitted fn (scripts' profiles)
"""

import datetime
import os
import platform
import time


def describe() -> dict:
  model, flags_line = platform.processor() or platform.machine(), ""
  try:
    with open("/proc/cpuinfo") as f:
      for line in f:
        if line.startswith("model name") and model in ("", platform.machine()):
          model = line.split(":", 1)[1].strip()
        if line.startswith("flags") and not flags_line:
          flags_line = line
  except OSError:
    pass
  import jax
  cpu_flags = flags_line.split()
  return {"cpu": model, "amx_bf16": "amx_bf16" in cpu_flags,
          "avx512_bf16": "avx512_bf16" in cpu_flags, "cpu_count": os.cpu_count(),
          "backend": jax.default_backend(), "jax": jax.__version__,
          "date": datetime.date.today().isoformat()}


def matmul_gflops(n: int = 2048, dtype: str = "float32", repeats: int = 5) -> float:
  """The best GFLOP/s of a jitted n x n matmul here and now: float32, or bfloat16 inputs with
  float32 accumulation and output (`preferred_element_type`, as the layers compute)."""
  import jax
  import jax.numpy as jnp
  a = jax.random.normal(jax.random.PRNGKey(0), (n, n), jnp.float32).astype(dtype)
  mm = jax.jit(lambda x: jnp.matmul(x, x, preferred_element_type=jnp.float32))
  mm(a).block_until_ready()
  best = float("inf")
  for _ in range(repeats):
    t = time.perf_counter()
    mm(a).block_until_ready()
    best = min(best, time.perf_counter() - t)
  return 2 * n ** 3 / best / 1e9


def median_seconds(fn, *args, repeats: int = 15, inner: int = 20) -> float:
  """The median over `repeats` of the mean time of `inner` back-to-back calls of fn(*args),
  after one call that compiles."""
  import jax
  jax.block_until_ready(fn(*args))
  times = []
  for _ in range(repeats):
    t = time.perf_counter()
    for _ in range(inner):
      out = fn(*args)
    jax.block_until_ready(out)
    times.append((time.perf_counter() - t) / inner)
  return sorted(times)[repeats // 2]
