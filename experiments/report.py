r"""A Markdown table of every training run under --root (read from their workdirs).

Each sub-directory holding config.json and metrics.json is a row. The dataset and network
columns appear when the runs differ in them. The metric columns are those of the runs' model
families (`Model.metric_names`, test split); eval.json adds the evaluation
columns when `experiments.evaluate` has been run on it. A run that diverged (diverged.json) is
marked "DIVERGED in epoch N" in its name cell; a run whose files cannot be read is left out with
a note on stderr that names the file.

  python -m experiments.report --root=runs/fashion
"""

import json
import os
import sys

from absl import flags

from ae import models
from experiments import cli

ROOT = flags.DEFINE_string("root", "runs", "Directory whose sub-directories are training runs.")

LEADING = [("model", "config", ("model", "name"), "{}"),
           ("latent", "config", ("model", "latent_dim"), "{}"),
           ("epochs", "metrics", ("epoch",), "{}")]
TRAILING = [("test recon. NLL, clean input", "eval", ("test_reconstruction_nll",), "{:.1f}"),
            ("test NLL, importance-sampled", "eval", ("test_nll_is",), "{:.2f}"),
            ("IS samples k", "eval", ("num_importance_samples",), "{}"),
            ("kNN k=1", "eval", ("knn_accuracy_k1",), "{:.4f}"),
            ("kNN k=5", "eval", ("knn_accuracy_k5",), "{:.4f}"),
            ("linear probe", "eval", ("linear_probe_accuracy",), "{:.4f}"),
            ("train ex/s, last epoch", "metrics", ("train_examples_per_second",), "{:.0f}")]
# Shown only when the runs under the root differ in them.
VARYING = [("dataset", "config", ("data", "dataset"), "{}"),
           ("network", "config", ("model", "network"), "{}")]
# Shown only when some run under the root has them (the AAE's and the semi-supervised models',
# 8-bit likelihoods' bits per dimension, the Fréchet classifier distance of samples).
OPTIONAL = [("label-part agreement", "eval", ("label_component_agreement",), "{:.4f}"),
            ("cluster accuracy", "eval", ("cluster_accuracy",), "{:.4f}"),
            ("test accuracy", "eval", ("test_accuracy",), "{:.4f}"),
            ("test NLL, bits/dim", "eval", ("test_nll_is_bits_per_dim",), "{:.3f}"),
            ("FCD of samples", "eval", ("frechet_classifier_distance",), "{:.1f}"),
            ("FCD, train images", "eval", ("frechet_classifier_distance_train_images",),
             "{:.1f}")]


def _read(path: str):
  with open(path) as f:
    return json.load(f)


def read_runs(root: str) -> list:
  runs = []
  for name in sorted(os.listdir(root)):
    files = {}
    try:
      for kind in ("config", "metrics", "eval", "diverged"):
        path = os.path.join(root, name, f"{kind}.json")
        if os.path.isfile(path):
          files[kind] = _read(path)
          if not isinstance(files[kind], dict):
            raise ValueError("it does not hold a JSON object")
    except (OSError, ValueError) as e:
      print(f"note: left out {os.path.join(root, name)}: {path} cannot be read ({e}).",
            file=sys.stderr)
      continue
    config = files.get("config", {})
    if ("metrics" in files or "diverged" in files) and isinstance(
        config.get("model"), dict) and config["model"].get("name") in models.names():
      if "diverged" in files:
        name = f"{name} (DIVERGED in epoch {files['diverged'].get('epoch', '?')})"
      runs.append((name, files))
  return runs


def columns(runs: list) -> list:
  """The leading columns, each family's metrics (test split, first seen first), the rest."""
  metric_names = []
  for _, files in runs:
    for m in models.get(files["config"]["model"]["name"]).metric_names:
      if m not in metric_names:
        metric_names.append(m)
  present = [c for c in OPTIONAL
               if any(_lookup(files.get(c[1], {}), c[2]) is not None for _, files in runs)]
  varying = [c for c in VARYING
             if len({str(_lookup(files.get(c[1], {}), c[2])) for _, files in runs}) > 1]
  return LEADING[:1] + varying + LEADING[1:] + [(f"test {m}", "metrics", (f"test_{m}",), "{:.1f}")
                    for m in metric_names] + TRAILING[:-1] + present + TRAILING[-1:]


def _lookup(d: dict, keys: tuple):
  for k in keys:
    if not isinstance(d, dict) or k not in d:
      return None
    d = d[k]
  return d


def markdown(runs: list) -> str:
  cols = columns(runs)
  lines = ["| run | " + " | ".join(c[0] for c in cols) + " |", "|---" * (len(cols) + 1) + "|"]
  for name, files in runs:
    values = [_lookup(files.get(kind, {}), keys) for _, kind, keys, _ in cols]
    cells = ["-" if v is None else fmt.format(v) for v, (_, _, _, fmt) in zip(values, cols)]
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
