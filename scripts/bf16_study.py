"""Why a bfloat16 training step runs near the float32 rate (issue 20, item 2), at one batch size:

  python scripts/bf16_study.py 1024 > runs/bf16_study_1024.jsonl
  python scripts/bf16_study.py 128 matmuls,hlo          # the parts named (default: all three)

Every line it prints is one JSON object:
1. "matmul": each of the reference VAE step's matmuls (from the step's jaxpr: the forward
   ones, the weight-gradient contractions over the batch and the transposed input-gradient ones),
   timed alone as a jitted dot_general in float32 and with bfloat16 inputs and float32
   accumulation, side by side, and their sums ("matmul_bound"): the examples/s that no
   implementation running them at XLA's speed can beat.
2. "hlo": the optimized HLO of the scanned epoch in each dtype: how many dots there are and of
   which operand types (a dot of f32 operands in the bf16 program is one that fell back), the
   converts, the transposes, the copies, and the oneDNN / XNNPACK custom calls or fusions.
3. "xla_option": the benchmark's training run (`experiments.benchmark --one_run`, a fresh process
   each, so XLA_FLAGS takes effect) in both dtypes under each of this jaxlib's CPU options that
   could route dots to other kernels; an option that the jaxlib refuses is reported with its
   error, not dropped.
The CPU model and its AMX flag come first. Nothing is timed in parallel: run nothing beside it.
"""
import json
import os
import re
import subprocess
import sys

import jax
import jax.numpy as jnp
import numpy as np

from ae import models
from ae.training import config as config_lib, flops, loop, step
from experiments import machine
from experiments.configs import vae_torch_reference

OPTIONS = {   # name: XLA_FLAGS added to the benchmark's run
    "default": "",
    "onednn": "--xla_cpu_use_onednn=true",
    "onednn_custom_call": "--xla_cpu_use_onednn=true --xla_cpu_experimental_onednn_custom_call=true",
    "onednn_fusion_dot": "--xla_cpu_experimental_onednn_fusion_type=dot",
    "onednn_fusion_all": "--xla_cpu_experimental_onednn_fusion_type=dot,eltwise,reduce",
    "ynn_fusion_dot": "--xla_cpu_experimental_ynn_fusion_type=dot",
    "xnn_fusion_dot": "--xla_cpu_experimental_xnn_fusion_type=dot",
}


def emit(**line):
  print(json.dumps(line), flush=True)


def build(batch_size: int, dtype: str):
  config = vae_torch_reference.get_config()
  config.train.batch_size, config.train.compute_dtype = batch_size, dtype
  config_lib.validate(config)
  splits = loop.load_splits(config)
  model = models.build(config, splits["train"].spec)
  model.attach_training_data(splits["train"])
  return model, loop.create_state(model), splits["train"]


def matmuls(batch_size: int):
  # The float32 step's contractions: the bfloat16 step has the same ones, plus in its jaxpr the
  # first layer's input gradient, which the Dense layers' custom backward pass computes and XLA
  # drops as dead code (the compiled step has the same 11 dots in both dtypes).
  model, state, _ = build(batch_size, "float32")
  batch = {"image": np.zeros((batch_size, 28, 28, 1), np.uint8),
           "label": np.zeros(batch_size, np.int32)}
  dots = flops.dot_generals(jax.make_jaxpr(model.train_step())(
      state, batch, jax.random.PRNGKey(0)).jaxpr)
  key = jax.random.PRNGKey(0)
  bound = {"float32": 0.0, "bfloat16": 0.0}
  for d in dots:
    fn = jax.jit(lambda a, b, dn=d.dimension_numbers: jax.lax.dot_general(
        a, b, dn, preferred_element_type=jnp.float32))
    a, b = jax.random.normal(key, d.lhs), jax.random.normal(key, d.rhs)
    s = {dt: machine.median_seconds(fn, a.astype(dt), b.astype(dt), repeats=11) for dt in bound}
    for dt in bound:
      bound[dt] += s[dt]
    emit(kind="matmul", lhs=d.lhs, rhs=d.rhs, contracting=d.dimension_numbers[0],
         gflops={dt: round(d.flops / s[dt] / 1e9, 1) for dt in s},
         bf16_speedup=round(s["float32"] / s["bfloat16"], 2))
  total = sum(d.flops for d in dots)
  emit(kind="matmul_bound", batch_size=batch_size, matmuls=len(dots),
       ms_per_step={dt: round(v * 1e3, 3) for dt, v in bound.items()},
       gflops={dt: round(total / v / 1e9, 1) for dt, v in bound.items()},
       max_examples_per_s={dt: round(batch_size / v) for dt, v in bound.items()})


def hlo_census(batch_size: int, dtype: str):
  model, state, train = build(batch_size, dtype)
  epoch = step.make_train_epoch(model.train_step(), batch_size)
  text = epoch.lower(state, train, jax.random.PRNGKey(0)).compile().as_text()
  lines = [l.strip().removeprefix("ROOT ") for l in text.splitlines()]
  types = {}   # instruction name -> element type ("%p.4 = bf16[128,784]{1,0} parameter(4)")
  for l in lines:
    m = re.match(r"%?([\w.\-]+) = (\w+)\[", l)
    if m:
      types[m.group(1)] = m.group(2)
  dots, dot_types = [l for l in lines if " dot(" in l], {}
  for l in dots:   # "%dot.3 = f32[128,400]{1,0} dot(%param_0.4, %param_1.4), ..."
    out = l.split("=", 1)[1].split("[")[0].strip()
    args = [a.strip().lstrip("%") for a in l.split(" dot(", 1)[1].split(")", 1)[0].split(",")]
    key = f"{'x'.join(types.get(a, '?') for a in args)} -> {out}"
    dot_types[key] = dot_types.get(key, 0) + 1
  count = lambda pattern: sum(bool(re.search(pattern, l)) for l in lines)
  emit(kind="hlo", dtype=dtype, batch_size=batch_size, dots=len(dots), dot_types=dot_types,
       converts=count(r" convert\("), transposes=count(r" transpose\("),
       copies=count(r" copy\("), fusions=count(r" fusion\("),
       ynn_fusions=count(r"^%?ynn_fusion[\w.]* = "), xnn_fusions=count(r"^%?xnn_fusion[\w.]* = "),
       onednn=count("onednn"), custom_calls=sorted(
           {l.split('custom_call_target="', 1)[1].split('"')[0] for l in lines
            if "custom_call_target=" in l}))


def xla_options(batch_size: int):
  for name, extra in OPTIONS.items():
    for dtype in ("float32", "bfloat16"):
      env = {**os.environ, "XLA_FLAGS": (os.environ.get("XLA_FLAGS", "") + " " + extra).strip(),
             "AE_COMPILATION_CACHE": "0"}
      p = subprocess.run([sys.executable, "-m", "experiments.benchmark",
                          f"--one_run={batch_size}", "--epochs=3", f"--compute_dtype={dtype}"],
                         capture_output=True, text=True, env=env)
      if p.returncode != 0:
        tail = [l for l in p.stderr.strip().splitlines() if l.strip()][-1:]
        emit(kind="xla_option", option=name, flags=extra, dtype=dtype, error=tail[0][:300]
             if tail else f"exit {p.returncode}")
        continue
      run = json.loads(p.stdout.strip().splitlines()[-1])
      emit(kind="xla_option", option=name, flags=extra, dtype=dtype,
           examples_per_s=run["examples_per_s"], loss=run["loss"])


if __name__ == "__main__":
  b = int(sys.argv[1]) if len(sys.argv) > 1 else 1024
  parts = sys.argv[2].split(",") if len(sys.argv) > 2 else ["matmuls", "hlo", "options"]
  emit(kind="machine", **machine.describe(), matmul_peak_gflops={
      d: round(machine.matmul_gflops(2048, d), 1) for d in ("float32", "bfloat16")})
  if "matmuls" in parts:
    matmuls(b)
  if "hlo" in parts:
    for dt in ("float32", "bfloat16"):
      hlo_census(b, dt)
  if "options" in parts:
    xla_options(b)
