"""Where a training step of the reference VAE goes, at one batch size:

  python scripts/step_profile.py 1024

1. The step's matmuls (read from its jaxpr by ae.training.flops), each timed alone as a jitted
   dot_general of the same shapes: their sum bounds the examples/s of any implementation that
   runs them at XLA's speed and does nothing else.
2. The scanned epoch (the benchmark's), timed after its compile: examples/s and its share of that
   bound.
3. One epoch under jax.profiler: the operations (XLA thunks) that took the most time, per step.
"""
import collections
import glob
import gzip
import json
import os
import sys
import tempfile
import time

os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") + " --xla_cpu_enable_xprof_traceme=true")
import jax  # noqa: E402
import numpy as np  # noqa: E402
from ae import models  # noqa: E402
from ae.training import config as config_lib, flops, loop, step  # noqa: E402
from experiments.configs import vae_torch_reference  # noqa: E402
from experiments.machine import median_seconds  # noqa: E402


batch_size = int(sys.argv[1]) if len(sys.argv) > 1 else 128
config = config_lib.validate(vae_torch_reference.get_config())
splits = loop.load_splits(config)
model = models.build(config)
model.attach_training_data(splits["train"])
state = loop.create_state(model)
batch = {"image": np.zeros((batch_size, 28, 28, 1), np.uint8),
         "label": np.zeros(batch_size, np.int32)}
dots = flops.dot_generals(jax.make_jaxpr(model.train_step())(state, batch,
                                                             jax.random.PRNGKey(0)).jaxpr)
key = jax.random.PRNGKey(0)
bound = 0.0
for d in dots:
  fn = jax.jit(lambda a, b, dn=d.dimension_numbers: jax.lax.dot_general(a, b, dn))
  s = median_seconds(fn, jax.random.normal(key, d.lhs), jax.random.normal(key, d.rhs))
  bound += s
  print(f"matmul {str(d.lhs):12s} x {str(d.rhs):12s} {s * 1e3:7.3f} ms {d.flops / s / 1e9:6.0f} GFLOP/s")
total = sum(d.flops for d in dots)
print(f"{len(dots)} matmuls: {bound * 1e3:.3f} ms a step, {total / bound / 1e9:.0f} GFLOP/s, "
      f"so at most {batch_size / bound:,.0f} examples/s")

epoch = step.make_train_epoch(model.train_step(), batch_size)
steps = splits["train"].size // batch_size
seconds = []
for i in range(3):
  t = time.perf_counter()
  state, _ = epoch(state, splits["train"], jax.random.PRNGKey(i))
  jax.block_until_ready(state)
  seconds.append(time.perf_counter() - t)
rate = steps * batch_size / float(np.median(seconds[1:]))
print(f"scanned epoch: {rate:,.0f} examples/s ({rate * bound / batch_size:.0%} of the matmul bound;"
      f" epochs {', '.join(f'{s:.3f}' for s in seconds)} s, the first compiles)")

with tempfile.TemporaryDirectory() as trace_dir:
  jax.profiler.start_trace(trace_dir, create_perfetto_trace=True)
  state, _ = epoch(state, splits["train"], jax.random.PRNGKey(9))
  jax.block_until_ready(state)
  jax.profiler.stop_trace()
  path = glob.glob(os.path.join(trace_dir, "**", "*perfetto_trace.json.gz"), recursive=True)[0]
  trace = json.load(gzip.open(path))
events = trace["traceEvents"] if isinstance(trace, dict) else trace
busy = collections.Counter()
for e in events:
  if e.get("ph") == "X" and not any(w in e["name"] for w in ("Execute", "block_until", "Await",
                                                              "profiler", "while")):
    busy[e["name"]] += e.get("dur", 0)
print(f"profile of one epoch ({steps} steps), ms per step:")
for name, micros in busy.most_common(12):
  print(f"  {micros / 1e3 / steps:7.3f}  {name}")
