r"""A Markdown table of every training run under --root (read from their workdirs).

Each sub-directory holding config.json and metrics.json is a row; eval.json adds the evaluation
columns when `experiments.evaluate` has been run on it.

  python -m experiments.report --root=runs/fashion
"""

import json
import os

from absl import flags

from ae import cli

ROOT = flags.DEFINE_string("root", "runs", "Directory whose sub-directories are training runs.")

COLUMNS = [("model", "config", "model", "{}"), ("latent", "config", "latent_dim", "{}"),
           ("epochs", "metrics", "epoch", "{}"),
           ("test NLL (objective)", "metrics", "test_nll", "{:.1f}"),
           ("test recon. NLL, clean input", "eval", "test_reconstruction_nll", "{:.1f}"),
           ("kNN k=1", "eval", "knn_accuracy_k1", "{:.4f}"),
           ("kNN k=5", "eval", "knn_accuracy_k5", "{:.4f}"),
           ("linear probe", "eval", "linear_probe_accuracy", "{:.4f}"),
           ("train ex/s, last epoch", "metrics", "train_examples_per_second", "{:.0f}")]


def read_runs(root: str) -> list:
  runs = []
  for name in sorted(os.listdir(root)):
    files = {}
    for kind in ("config", "metrics", "eval"):
      path = os.path.join(root, name, f"{kind}.json")
      if os.path.exists(path):
        with open(path) as f:
          files[kind] = json.load(f)
    if "config" in files and "metrics" in files and "model" in files["config"]:
      runs.append((name, files))
  return runs


def markdown(runs: list) -> str:
  lines = ["| run | " + " | ".join(c[0] for c in COLUMNS) + " |",
           "|---" * (len(COLUMNS) + 1) + "|"]
  for name, files in runs:
    cells = [fmt.format(files[kind][key]) if key in files.get(kind, {}) else "-"
             for _, kind, key, fmt in COLUMNS]
    lines.append(f"| {name} | " + " | ".join(cells) + " |")
  return "\n".join(lines)


def main(argv):
  del argv
  if not os.path.isdir(ROOT.value):
    raise cli.usage_error("root", f"{ROOT.value} is not a directory.")
  runs = read_runs(ROOT.value)
  if not runs:
    raise cli.usage_error("root", f"{ROOT.value} holds no training runs (sub-directories with "
                          "config.json and metrics.json).")
  print(markdown(runs))


if __name__ == "__main__":
  cli.run(main)
