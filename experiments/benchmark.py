r"""Training-core throughput, side by side with the PyTorch reference in one run.

Our side: the AE with the reference's layer sizes (784-400-20-400-784, ReLU, Bernoulli logits,
Adam 1e-3, shuffled in-memory batches, last partial batch dropped), trained by the training
core's scanned, donated epochs (`ae.training.step`) on Fashion-MNIST. Epoch 1 includes
compilation; examples/s is the median over the later epochs. The reference (../shared/bench/torch_vae.py) is a VAE: one more 400x20
head, about 1.2% more multiply-adds per example than this AE.

  python -m experiments.benchmark --workdir=runs/bench --batch_size=128             # ours only
  python -m experiments.benchmark --workdir=runs/bench --batch_size=128 \
      --reference_python=/tmp/torchenv/bin/python --repeats=3                      # A B A B ...

The last stdout line is one JSON object; --workdir gets it as metrics.json.
"""

import json
import os
import shutil
import statistics
import sys
import time

from absl import flags
import jax

from ae import models
from ae.training import config as config_lib, loop, step
from experiments import cli

WORKDIR = flags.DEFINE_string("workdir", None, "Directory for config.json and metrics.json.")
BATCH = flags.DEFINE_integer("batch_size", 128, "Training batch size.")
EPOCHS = flags.DEFINE_integer("epochs", 3, "Epochs per run (the first one compiles).")
SEED = flags.DEFINE_integer("seed", 0, "PRNG seed.")
DATA_DIR = flags.DEFINE_string("data_dir", None, "IDX directory (default as in ae.data).")
REF_PYTHON = flags.DEFINE_string("reference_python", None,
                                 "Python with torch; when given, alternate runs with the "
                                 "reference script, A B A B, --repeats times each.")
REF_SCRIPT = flags.DEFINE_string("reference_script",
                                 os.path.join("..", "shared", "bench", "torch_vae.py"),
                                 "The PyTorch reference.")
REF_DATA = flags.DEFINE_string("reference_data_dir", "/usr/share/datasets/fashion-mnist",
                               "The reference's --data-dir.")
REF_ARGS = flags.DEFINE_list("reference_args", [], "Extra flags for the reference, e.g. "
                             "--flush-denormal (XLA on CPU flushes denormals; torch does not).")
REPEATS = flags.DEFINE_integer("repeats", 3, "Runs of each side when comparing.")
for _name in ("batch_size", "epochs", "repeats"):
  cli.require_positive(_name)
flags.register_validator("epochs", lambda v: v >= 2,
                         message="--epochs must be at least 2 (the first one compiles).")


def measure_ours() -> dict:
  """One training run of the core; timings per epoch, examples/s over the post-compile epochs."""
  config = config_lib.make("ae", **{
      "data.dataset": "fashion_mnist", "data.data_dir": DATA_DIR.value, "model.hidden": (400,),
      "model.latent_dim": 20, "model.likelihood": "bernoulli", "train.batch_size": BATCH.value,
      "train.learning_rate": 1e-3, "train.seed": SEED.value})
  start = time.perf_counter()
  splits = loop.load_splits(config)
  train = splits["train"]
  jax.block_until_ready(train.images)
  load_s = time.perf_counter() - start
  model = models.build(config)
  state = loop.create_state(model)
  epoch_fn = step.make_train_epoch(model.train_step(), config.train.batch_size)
  rng = jax.random.PRNGKey(config.train.seed)
  epoch_s, loss = [], None
  for epoch in range(1, EPOCHS.value + 1):
    t = time.perf_counter()
    state, metrics = epoch_fn(state, train, jax.random.fold_in(rng, epoch))
    loss = float(metrics["loss"])  # Blocks until the epoch is done.
    epoch_s.append(time.perf_counter() - t)
  batch = config.train.batch_size
  steps = train.size // batch
  steady = [steps * batch / s for s in epoch_s[1:]]
  return {"script": "ae.benchmark", "jax": jax.__version__,
          "device": jax.devices()[0].device_kind, "batch_size": batch,
          "epochs": EPOCHS.value, "steps_per_epoch": steps,
          "epoch_s": [round(s, 4) for s in epoch_s],
          "examples_per_s": round(statistics.median(steady), 1),
          "first_epoch_examples_per_s": round(steps * batch / epoch_s[0], 1),
          "load_s": round(load_s, 4), "loss": round(loss, 4), "data_source": train.source}


def _last_json(command) -> dict:
  return json.loads(cli.run_command(command).stdout.strip().splitlines()[-1])


def compare() -> dict:
  if shutil.which(REF_PYTHON.value) is None:   # Both checked before either side runs.
    raise cli.usage_error("reference_python", f"{REF_PYTHON.value} is not an executable "
                          "program; name a Python that has torch installed.")
  if not os.path.exists(REF_SCRIPT.value):
    raise cli.usage_error("reference_script", f"{REF_SCRIPT.value} does not exist.")
  ours_cmd = [sys.executable, "-m", "experiments.benchmark", f"--batch_size={BATCH.value}",
              f"--epochs={EPOCHS.value}", f"--seed={SEED.value}"]
  if DATA_DIR.value:
    ours_cmd.append(f"--data_dir={DATA_DIR.value}")
  ref_cmd = [REF_PYTHON.value, REF_SCRIPT.value, "--batch-size", str(BATCH.value), "--epochs",
             str(EPOCHS.value), "--data-dir", REF_DATA.value, *REF_ARGS.value]
  runs = {"ours": [], "reference": []}
  for _ in range(REPEATS.value):   # A B A B: both sides see the same machine noise.
    runs["ours"].append(_last_json(ours_cmd))
    runs["reference"].append(_last_json(ref_cmd))
  medians = {k: statistics.median(r["examples_per_s"] for r in v) for k, v in runs.items()}
  return {"batch_size": BATCH.value, "epochs": EPOCHS.value, "repeats": REPEATS.value,
          "ours_examples_per_s": [r["examples_per_s"] for r in runs["ours"]],
          "reference_examples_per_s": [r["examples_per_s"] for r in runs["reference"]],
          "ours_median": medians["ours"], "reference_median": medians["reference"],
          "speedup": round(medians["ours"] / medians["reference"], 3),
          "commands": {"ours": " ".join(ours_cmd), "reference": " ".join(ref_cmd)},
          "runs": runs}


def main(argv):
  del argv
  workdir = cli.prepare_workdir(WORKDIR.value) if WORKDIR.value else None
  result = compare() if REF_PYTHON.value else measure_ours()
  if workdir:
    cli.write_config(workdir)
    cli.write_json(os.path.join(workdir, "metrics.json"), result)
  if REF_PYTHON.value:
    print(cli.format_table(["side", "examples/s per run", "median"], [
        ["ae (JAX, this repo)", " ".join(f"{v:.0f}" for v in result["ours_examples_per_s"]),
         result["ours_median"]],
        ["torch_vae (reference)",
         " ".join(f"{v:.0f}" for v in result["reference_examples_per_s"]),
         result["reference_median"]]]))
  print(json.dumps({k: v for k, v in result.items() if k != "runs"}))


if __name__ == "__main__":
  cli.run(main)
