r"""The exact VAE against the PyTorch reference, side by side in one run, at several batch sizes.

Our side trains the real `vae` of experiments/configs/vae_torch_reference.py (784-400-(20, 20),
20-400-784, ReLU, Bernoulli logits, Adam 1e-3; the model of ../shared/bench/torch_vae.py) with
the training core's scanned, donated epochs, each run in a fresh process. With --network=conv it
trains experiments/configs/conv.py:vae instead (on CPU its steps run from the host, see
ae.training.step.scan_suits) against bench/torch_conv_vae.py, the same network in PyTorch; the
FLOP fractions are then left out (only the MLP's matmuls are counted). With
--reference_python the reference runs too, alternating A B A B, --repeats times per batch size.

One JSON line per batch size:
  ours / reference examples_per_s    steady state: the median over epochs after the first
  ratio                              ours / reference (medians over the repeats)
  ours_compile_s                     lowering and compiling the scanned epoch
  ours_startup_s                     process start (from /proc) to the compiled first epoch,
                                     ready to run: imports, data, state init, compilation
                                     (cold: no compilation cache, unless --compilation_cache)
  ours / reference peak_rss_mb       each process's peak resident memory (wait4)
  matmul_peak_gflops                 this machine's fp32 matmul rate, measured in the same run
                                     (a jitted 2048-square matmul, the best of several)
  ours / reference flop_fraction     model training FLOP/s over that peak. A training step's
                                     matmuls: the forward ones, one more per layer for the weight
                                     gradient, and one more per layer but the first for the
                                     input gradient (no side differentiates the pixels): 3.28
                                     MFLOP per example (3.91 with the first layer's input
                                     gradient, as counted before 2026-11-28's second run)

  python -m experiments.benchmark --nll_run=runs/vae/vae_torch_reference         # k = 5000 NLL
  python -m experiments.benchmark --workdir=runs/bench --batch_sizes=128         # ours only
  python -m experiments.benchmark --workdir=runs/bench \
      --reference_python=/tmp/torchenv/bin/python --repeats=2                  # A B A B ...
  python -m experiments.benchmark --workdir=runs/bench_conv --network=conv \
      --batch_sizes=128,512 --reference_python=/tmp/torchenv/bin/python --repeats=2

--workdir gets config.json, metrics.json (every case and run) and benchmark.png (examples/s
against batch size, both sides).
"""

import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time

from absl import flags
import numpy as np

from experiments import cli, machine

WORKDIR = flags.DEFINE_string("workdir", None, "Directory for config.json, metrics.json and "
                              "benchmark.png.")
BATCH_SIZES = flags.DEFINE_list("batch_sizes", ["32", "128", "512", "1024"],
                                "Training batch sizes, one case each.")
EPOCHS = flags.DEFINE_integer("epochs", 3, "Epochs per run (the first one compiles).")
SEED = flags.DEFINE_integer("seed", 0, "PRNG seed.")
DATA_DIR = flags.DEFINE_string("data_dir", None, "IDX directory (default as in ae.data).")
REF_PYTHON = flags.DEFINE_string("reference_python", None,
                                 "Python with torch; when given, alternate runs with the "
                                 "reference script, A B A B, --repeats times each.")
NETWORK = flags.DEFINE_enum("network", "mlp", ["mlp", "conv"], "The VAE's network: the MLP of "
                            "vae_torch_reference.py, or the conv net of configs/conv.py:vae.")
COMPUTE_DTYPE = flags.DEFINE_enum("compute_dtype", "float32", ["float32", "bfloat16"],
                                  "Our side's config.train.compute_dtype (and --nll_run's).")
COMPUTE_DTYPES = flags.DEFINE_multi_enum(
    "compute_dtypes", [], ["float32", "bfloat16"], "Several of our sides, one per dtype "
    "(--compute_dtypes=float32 --compute_dtypes=bfloat16), in place of --compute_dtype.")
MODES = {"eager": (), "compile": ("--compile",), "bf16": ("--bf16",),
         "compile_bf16": ("--compile", "--bf16")}
REF_MODES = flags.DEFINE_multi_enum(
    "reference_modes", [], list(MODES), "The reference's modes, one side each (eager; compile: "
    "torch.compile of the step; bf16: autocast(bfloat16); compile_bf16: both); default eager.")
REFERENCES = {"mlp": os.path.join("..", "shared", "bench", "torch_vae.py"),
              "conv": os.path.join("bench", "torch_conv_vae.py")}
REF_SCRIPT = flags.DEFINE_string("reference_script", None, "The PyTorch reference (default: "
                                 "../shared/bench/torch_vae.py, or with --network=conv "
                                 "bench/torch_conv_vae.py).")
REF_DATA = flags.DEFINE_string("reference_data_dir", "/usr/share/datasets/fashion-mnist",
                               "The reference's --data-dir.")
REF_ARGS = flags.DEFINE_list("reference_args", [], "Extra flags for the reference, e.g. "
                             "--flush-denormal (XLA on CPU flushes denormals; torch does not).")
REPEATS = flags.DEFINE_integer("repeats", 1, "Runs of each side per batch size.")
WARM_CACHE = flags.DEFINE_bool(
    "compilation_cache", False, "Let our runs use the persistent compilation cache "
    "(experiments.cli.use_compilation_cache), so start-up and compile times are warm ones; by "
    "default each run compiles from scratch.")
ONE_RUN = flags.DEFINE_integer("one_run", None, "Internal: train once at this batch size in "
                               "this process and print its JSON line.")
NLL_RUN = flags.DEFINE_string("nll_run", None, "Instead of training: time the importance-sampled "
                              "test NLL of this trained run's model (a VAE workdir).")
NLL_SAMPLES = flags.DEFINE_integer("nll_samples", 5000, "k of the --nll_run estimate.")
NLL_BATCH = flags.DEFINE_integer("nll_batch", 100, "Test images per --nll_run batch.")
NLL_CHUNK = flags.DEFINE_integer("nll_chunk", 500, "Samples drawn at once in --nll_run.")
NLL_ROWS = flags.DEFINE_integer("nll_rows_per_block", None, "Decoder rows per block in --nll_run "
                                "(ae.models.variational.ROWS_PER_BLOCK unless given).")
for _name in ("repeats", "nll_samples", "nll_batch", "nll_chunk", "nll_rows_per_block"):
  cli.require_positive(_name)
cli.require_positive("one_run")
flags.register_validator("epochs", lambda v: v >= 2,
                         message="--epochs must be at least 2 (the first one compiles).")

FORWARD_MACS = 784 * 400 + 400 * 40 + 20 * 400 + 400 * 784   # per example
TRAIN_FLOPS = 2 * (3 * FORWARD_MACS - 784 * 400)   # no input gradient for the first layer


def process_age() -> float:
  """Seconds since this process started, from /proc (falls back to 0 elsewhere)."""
  try:
    with open("/proc/self/stat") as f:
      start_ticks = float(f.read().rsplit(")", 1)[1].split()[19])
    with open("/proc/uptime") as f:
      uptime = float(f.read().split()[0])
    return uptime - start_ticks / os.sysconf("SC_CLK_TCK")
  except (OSError, ValueError, IndexError):
    return 0.0


def matmul_peak_gflops(n: int = 2048, repeats: int = 5) -> float:
  """The best fp32 GFLOP/s of a jitted n x n matmul here and now."""
  return machine.matmul_gflops(n, "float32", repeats)


def measure_ours(batch_size: int) -> dict:
  """One training run of the reference VAE through the core, in this process."""
  import jax
  from ae import models
  from ae.training import config as config_lib, loop, step
  from experiments.configs import conv, vae_torch_reference
  config = conv.get_config("vae") if NETWORK.value == "conv" else vae_torch_reference.get_config()
  config.data.data_dir = DATA_DIR.value
  config.train.batch_size = batch_size
  config.train.seed = SEED.value
  config.train.compute_dtype = COMPUTE_DTYPE.value
  config_lib.validate(config)
  splits = loop.load_splits(config)
  train = splits["train"]
  model = models.build(config, train.spec)
  model.attach_training_data(train)
  state = loop.create_state(model)
  scan = step.scan_suits(config.model.network)
  epoch_fn = step.make_train_epoch(model.train_step(), batch_size, scan=scan)
  rng = jax.random.PRNGKey(SEED.value)
  t = time.perf_counter()   # A host-looped epoch compiles its step in the first epoch.
  compiled = epoch_fn.lower(state, train, rng).compile() if scan else epoch_fn
  compile_s = time.perf_counter() - t if scan else None
  startup_s = process_age()
  epoch_s, loss = [], None
  for epoch in range(1, EPOCHS.value + 1):
    t = time.perf_counter()
    state, metrics = compiled(state, train, jax.random.fold_in(rng, epoch))
    loss = float(metrics["loss"])   # Blocks until the epoch is done.
    epoch_s.append(time.perf_counter() - t)
  steps = train.size // batch_size
  return {"side": "ours", "batch_size": batch_size, "steps_per_epoch": steps,
          "epoch_s": [round(s, 4) for s in epoch_s],
          "examples_per_s": round(statistics.median(steps * batch_size / s
                                                    for s in epoch_s[1:]), 1),
          "compile_s": None if compile_s is None else round(compile_s, 3), "startup_s": round(startup_s, 3),
          "network": config.model.network, "scanned": scan,
          "compute_dtype": config.train.compute_dtype,
          "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
          "loss": round(loss, 4), "jax": jax.__version__,
          "device": jax.devices()[0].device_kind, "data_source": train.source}


def measure_nll(workdir: str, compute_dtype: str) -> tuple:
  """Times the importance-sampled NLL of workdir's model over its whole test split, decoding in
  compute_dtype; (its JSON, the per-image NLLs). The FLOPs counted are the decoder's matmuls,
  2 x (20 x 400 + 400 x 784) per sample (the reference VAE; the encoder runs once per image).
  mc_standard_error is the mean NLL's Monte Carlo error, sqrt(sum of the per-image estimates'
  delta-method variances) / N (`likelihood.log_estimate_variance`)."""
  from ae.evaluation import likelihood
  from ae.training import loop
  try:
    config, model, state = loop.restore_run(workdir, compute_dtype=compute_dtype)
  except FileNotFoundError as e:
    raise cli.usage_error("nll_run", f"{workdir} holds no finished training run.") from e
  test = loop.load_splits(config)["test"]
  from ae.models import variational
  if NLL_ROWS.value:
    variational.ROWS_PER_BLOCK = NLL_ROWS.value
  rows = variational.samples_per_block(min(NLL_CHUNK.value, NLL_SAMPLES.value),
                                       NLL_BATCH.value) * NLL_BATCH.value
  peak = matmul_peak_gflops()
  t = time.perf_counter()
  nll, var = likelihood.importance_sampled_nll(model, state, test, NLL_SAMPLES.value,
                                               NLL_BATCH.value, NLL_CHUNK.value,
                                               with_variance=True)
  seconds = time.perf_counter() - t
  flops = 2 * (20 * 400 + 400 * 784) * NLL_SAMPLES.value * test.size
  peak = max(peak, matmul_peak_gflops())
  return {"k": NLL_SAMPLES.value, "compute_dtype": compute_dtype,
          "test_examples": test.size, "batch": NLL_BATCH.value,
          "chunk": NLL_CHUNK.value, "rows_per_block": rows, "seconds": round(seconds, 1),
          "test_nll_is": round(float(nll.mean()), 4),
          "mc_standard_error": round(float(np.sqrt(var.sum()) / nll.size), 5),
          "decoder_gflop": round(flops / 1e9),
          "gflops": round(flops / seconds / 1e9, 1), "matmul_peak_gflops": round(peak, 1),
          "flop_fraction": round(flops / seconds / 1e9 / peak, 3)}, nll


def compare_nll(workdir: str) -> list:
  """--nll_run for each of --compute_dtypes (or --compute_dtype), one after another in this
  process on the same seed; with two, a last line compares them per image: the mean difference
  (second minus first), the standard error of that mean over the test images, and the two
  estimates' Monte Carlo standard errors."""
  dtypes = list(dict.fromkeys(COMPUTE_DTYPES.value)) or [COMPUTE_DTYPE.value]
  results = [measure_nll(workdir, d) for d in dtypes]
  lines = [r for r, _ in results]
  if len(results) == 2:
    (a, nll_a), (b, nll_b) = results
    d = nll_b - nll_a
    lines.append({"difference": f"{b['compute_dtype']} - {a['compute_dtype']}",
                  "mean_nll_difference": round(float(d.mean()), 5),
                  "difference_standard_error": round(float(d.std(ddof=1) / np.sqrt(d.size)), 5),
                  "max_abs_image_difference": round(float(np.abs(d).max()), 4),
                  "mc_standard_errors": [a["mc_standard_error"], b["mc_standard_error"]],
                  "speedup": round(a["seconds"] / b["seconds"], 2)})
  return lines


def reference_script() -> str:
  return REF_SCRIPT.value or REFERENCES[NETWORK.value]


def flop_fraction(examples_per_s: float, peak: float):
  """Training FLOP/s over the matmul peak; None for the conv net (its FLOPs are not counted)."""
  if NETWORK.value != "mlp":
    return None
  return round(examples_per_s * TRAIN_FLOPS / 1e9 / peak, 4)


def run_measured(command, env=None) -> dict:
  """Runs a command; its last stdout line (JSON) plus its peak RSS from wait4."""
  process = subprocess.Popen(list(command), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True, env=env)
  stdout, stderr = process.stdout.read(), process.stderr.read()
  _, status, usage = os.wait4(process.pid, 0)
  process.returncode = os.waitstatus_to_exitcode(status)
  if process.returncode != 0:
    lines = [l for l in stderr.strip().splitlines() if l.strip()]
    raise cli.RunError(f"{' '.join(command)} failed (exit {process.returncode}): "
                       f"{lines[-1] if lines else 'no error output'}")
  result = json.loads(stdout.strip().splitlines()[-1])
  result.setdefault("peak_rss_mb", round(usage.ru_maxrss / 1024, 1))
  return result


def sides() -> dict:
  """{side: (kind, setting)} in the A B A B order: ours per compute dtype, then the reference
  per mode. One dtype and one mode keep the plain names "ours" and "reference"."""
  dtypes = list(dict.fromkeys(COMPUTE_DTYPES.value)) or [COMPUTE_DTYPE.value]
  modes = list(dict.fromkeys(REF_MODES.value)) or ["eager"]
  out = {("ours" if len(dtypes) == 1 else f"ours_{d}"): ("ours", d) for d in dtypes}
  if REF_PYTHON.value:
    out.update({("reference" if len(modes) == 1 else f"reference_{m}"): ("reference", m)
                for m in modes})
  return out


def compare(batch_sizes: list, peak: float) -> list:
  ours_cmd = lambda b, dtype: [sys.executable, "-m", "experiments.benchmark", f"--one_run={b}",
                               f"--epochs={EPOCHS.value}", f"--seed={SEED.value}",
                               f"--network={NETWORK.value}", f"--compute_dtype={dtype}"] + (
                                   [f"--data_dir={DATA_DIR.value}"] if DATA_DIR.value else [])
  ref_cmd = lambda b, mode: [REF_PYTHON.value, reference_script(), "--batch-size", str(b),
                             "--epochs", str(EPOCHS.value), "--data-dir", REF_DATA.value,
                             *MODES[mode], *REF_ARGS.value]
  env = {**os.environ, "AE_COMPILATION_CACHE": "1" if WARM_CACHE.value else "0"}
  order, cases = sides(), []
  for b in batch_sizes:
    runs = {side: [] for side in order}
    for _ in range(REPEATS.value):   # A B A B: every side sees the same machine noise.
      for side, (kind, setting) in order.items():
        runs[side].append(run_measured(ours_cmd(b, setting), env) if kind == "ours"
                          else run_measured(ref_cmd(b, setting)))
    case = {"batch_size": b}
    for side, side_runs in runs.items():
      rate = round(statistics.median(r["examples_per_s"] for r in side_runs), 1)
      case.update({f"{side}_examples_per_s": rate,
                   f"{side}_peak_rss_mb": max(r["peak_rss_mb"] for r in side_runs),
                   f"{side}_flop_fraction": flop_fraction(rate, peak)})
    ours = [r for side, (kind, _) in order.items() if kind == "ours" for r in runs[side]]
    compiles = [r["compile_s"] for r in ours if r["compile_s"] is not None]
    case.update(ours_compile_s=round(statistics.median(compiles), 3) if compiles else None,
                ours_startup_s=round(statistics.median(r["startup_s"] for r in ours), 3),
                matmul_peak_gflops=round(peak, 1))
    if "ours" in runs and "reference" in runs:
      case["ratio"] = round(case["ours_examples_per_s"] / case["reference_examples_per_s"], 3)
    elif len(runs) > 1:   # Every side over the first of ours.
      first = case[f"{next(iter(runs))}_examples_per_s"]
      case["ratios"] = {side: round(case[f"{side}_examples_per_s"] / first, 3) for side in runs}
    case["runs"] = runs
    cases.append(case)
  return cases


def main(argv):
  del argv
  if ONE_RUN.value:
    print(json.dumps(measure_ours(ONE_RUN.value)))
    return
  if NLL_RUN.value:
    for line in compare_nll(NLL_RUN.value):
      print(json.dumps(line), flush=True)
    return
  batch_sizes = cli.positive_integers(BATCH_SIZES)
  if REF_PYTHON.value:   # Both checked before either side runs.
    if shutil.which(REF_PYTHON.value) is None:
      raise cli.usage_error("reference_python", f"{REF_PYTHON.value} is not an executable "
                            "program; name a Python that has torch installed.")
    if not os.path.exists(reference_script()):
      raise cli.usage_error("reference_script", f"{reference_script()} does not exist.")
  workdir = cli.prepare_workdir(WORKDIR.value) if WORKDIR.value else None
  peaks = {d: machine.matmul_gflops(2048, d) for d in ("float32", "bfloat16")}
  cases = compare(batch_sizes, peaks["float32"])
  for d in peaks:   # Measured again after the runs; the best counts.
    peaks[d] = max(peaks[d], machine.matmul_gflops(2048, d))
  peak, names = peaks["float32"], list(sides())
  for case in cases:
    for side in names:
      case[f"{side}_flop_fraction"] = flop_fraction(case[f"{side}_examples_per_s"], peak)
    case["matmul_peak_gflops"] = round(peak, 1)
    case["matmul_peak_gflops_bf16"] = round(peaks["bfloat16"], 1)
    print(json.dumps({k: v for k, v in case.items() if k != "runs"}), flush=True)
  host = machine.describe()
  print(json.dumps({"machine": host, "matmul_peak_gflops": {d: round(v, 1)
                                                             for d, v in peaks.items()}}))
  if workdir:
    from ae.evaluation import plots
    cli.write_config(workdir)
    cli.write_json(os.path.join(workdir, "metrics.json"),
                   {"network": NETWORK.value, "reference_script": reference_script(),
                    "train_flops_per_example": TRAIN_FLOPS if NETWORK.value == "mlp" else None,
                    "machine": host, "sides": names,
                    "matmul_peak_gflops": {d: round(v, 1) for d, v in peaks.items()},
                    "cases": cases})
    cli.save_figure(plots.throughput(cases, names), os.path.join(workdir, "benchmark.png"))
  if "ratio" in cases[0] or len(names) == 1:
    rows = [[c["batch_size"], f"{c['ours_examples_per_s']:.0f}",
             f"{c['reference_examples_per_s']:.0f}" if "ratio" in c else "-",
             c.get("ratio", "-"), c["ours_flop_fraction"] or "-", c["ours_startup_s"],
             c["ours_compile_s"] or "-"] for c in cases]
    print(cli.format_table(["batch", "ours ex/s", "reference ex/s", "ratio", "ours FLOP frac.",
                            "startup s", "compile s"], rows))
  else:   # Several sides: examples/s, and each over the first of ours.
    rows = [[c["batch_size"], *(f"{c[f'{n}_examples_per_s']:.0f} ({c['ratios'][n]:.2f})"
                                for n in names)] for c in cases]
    print(cli.format_table(["batch", *(f"{n} ex/s (x {names[0]})" for n in names)], rows))


if __name__ == "__main__":
  cli.run(main)
