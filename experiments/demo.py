r"""The main job: runs every chapter binary with its defaults, each into WORKDIR/NAME, and prints
each one's table, then where everything is.

  python -m experiments.demo --workdir=runs/demo
"""

import os
import subprocess
import sys
import time

from absl import flags

from experiments import cli

WORKDIR = flags.DEFINE_string("workdir", "runs/demo", "Root directory of all outputs.")
ONLY = flags.DEFINE_list("only", [], "Run only these steps (default: all).")

# (name, module, flags, workdir under --workdir): the chapter first, then the autoencoders.
STEPS = [
    ("loss_comparison", "loss_comparison", [], "loss_comparison"),
    ("gradient_check", "gradient_check", [], "gradient_check"),
    ("taylor_check", "taylor_check", [], "taylor_check"),
    ("vanishing_gradient", "vanishing_gradient", [], "vanishing_gradient"),
    ("likelihood_view", "likelihood_view", [], "likelihood_view"),
    ("descent", "descent", [], "descent"),
    ("train_ae_latent2", "train", ["--config=experiments/configs/ae.py",
                                   "--config.model.latent_dim=2", "--config.train.epochs=3"],
     "ae_latent2"),
    ("evaluate_ae_latent2", "evaluate", [], "ae_latent2"),
    ("train_vae_latent2", "train", ["--config=experiments/configs/vae.py",
                                    "--config.model.latent_dim=2", "--config.train.epochs=3"],
     "vae_latent2"),
    ("evaluate_vae_latent2", "evaluate", ["--num_importance_samples=1,10,100"], "vae_latent2"),
    ("train_aae_mixture", "train", ["--config=experiments/configs/aae_mixture.py",
                                    "--config.train.epochs=3"], "aae_mixture"),
    ("evaluate_aae_mixture", "evaluate", [], "aae_mixture"),
    ("resume_check", "resume_check",
     ["--train_args=--config=experiments/configs/ae.py --config.train.epochs=3"],
     "resume_check"),
]


def main(argv):
  del argv
  names = [s[0] for s in STEPS]
  unknown = sorted(set(ONLY.value) - set(names))
  if unknown:
    raise cli.usage_error("only", f"unknown step {', '.join(unknown)}; choose from {', '.join(names)}.")
  root = cli.prepare_workdir(WORKDIR.value)
  summary, failed = [], []
  for name, module, args, subdir in STEPS:
    if ONLY.value and name not in ONLY.value:
      continue
    workdir = os.path.join(root, subdir)
    command = [sys.executable, "-m", f"experiments.{module}", f"--workdir={workdir}", *args]
    print(f"\n=== {name}: python -m experiments.{module} --workdir={workdir} {' '.join(args)}",
          flush=True)
    start = time.time()
    code = subprocess.call(command)
    seconds = time.time() - start
    summary.append([name, "ok" if code == 0 else f"exit {code}", f"{seconds:.0f}s", workdir])
    if code != 0:
      failed.append(name)
  print("\n" + cli.format_table(["step", "status", "time", "outputs"], summary))
  if failed:
    sys.exit(1)


if __name__ == "__main__":
  cli.run(main)
