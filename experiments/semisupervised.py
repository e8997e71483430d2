r"""Semi-supervised classification with few labels, against two baselines on the same labels.

For each label draw (--label_seeds; data.label_seed of the config) it trains the config's
semi-supervised model (M2 in experiments/configs/semisupervised.py; the categorical AAE with
--config=experiments/configs/aae_semisupervised.py) into WORKDIR/MODEL_seedS and measures its
test accuracy; on exactly the labelled images that draw picked (`ae.data.labelled_indices`) it
trains
  mlp   an MLP classifier on the labelled images alone (the model's widths: for M2 the very
        architecture of its classifier q(y | x)), and
  m1    a linear probe on the codes of a VAE trained without labels (Kingma et al.'s M1, with a
        logistic regression for the classifier; one VAE, WORKDIR/m1_vae, serves every draw).
Writes WORKDIR/semisupervised.json (per draw, and mean and standard deviation over the draws)
and prints the table. Every run resumes from its workdir, so an interrupted job goes on.

With --holdout_labels=H the number of epochs is chosen without reading a test label: a second
run per draw (WORKDIR/MODEL_seedS_holdoutH) trains on the drawn labels less H of them (the last
H / 10 of each class, `ae.data.split_holdout`), every epoch's checkpoint is scored on the H
held-out images, and the model's reported accuracy is the full run's test accuracy at the best
epoch (its metrics.jsonl). The MLP's number of steps is chosen on the same H images, from
100, 200, 300, 500 and 1000.

  python -m experiments.semisupervised --workdir=runs/semi
  python -m experiments.semisupervised --workdir=runs/semi_shared \
      --config.m2.shared_layer=True --config.train.epochs=10 --holdout_labels=20
  python -m experiments.semisupervised --workdir=runs/semi_quick --label_seeds=0 \
      --config.train.epochs=2 --vae_config.train.epochs=2
"""

import os

from absl import flags
from ml_collections import config_flags
import numpy as np

from ae import data, io
from ae.evaluation import semisupervised
from ae.training import config as config_lib, loop
from experiments import cli
from experiments.runs import check_resume

CONFIG = config_flags.DEFINE_config_file(
    "config", "experiments/configs/semisupervised.py", "The semi-supervised model's config; "
    "override fields with --config.SECTION.FIELD=VALUE.", lock_config=True)
VAE_CONFIG = config_flags.DEFINE_config_file(
    "vae_config", "experiments/configs/vae.py", "The VAE of the M1 baseline (trained without "
    "labels on the same data).", lock_config=True)
WORKDIR = flags.DEFINE_string("workdir", None, "Directory for every run and the summary.")
LABEL_SEEDS = flags.DEFINE_list("label_seeds", ["0", "1", "2"], "Label draws (data.label_seed).")
MLP_STEPS = flags.DEFINE_integer("mlp_steps", 500, "Full-batch Adam steps of the MLP baseline.")
PROBE_STEPS = flags.DEFINE_integer("probe_steps", 200, "L-BFGS steps of the M1 probe.")
HOLDOUT = flags.DEFINE_integer(
    "holdout_labels", 0, "When above 0 (a multiple of 10 below data.num_labels), choose the "
    "model's number of epochs and the MLP's number of steps on this many of the drawn labelled "
    "images, held out of a second run; report the model's test accuracy at the chosen epoch.")
MLP_STEP_CHOICES = (100, 200, 300, 500, 1000)
cli.require_positive("mlp_steps", high=100000)
cli.require_positive("probe_steps", high=100000)
cli.SETTING_FLAGS["data_dir"] = "--config.data.data_dir"


def train(config, workdir: str, splits: dict):
  check_resume(workdir, config)
  return loop.train_and_evaluate(config, workdir, splits)


def label_seeds() -> list:
  values = [v.strip() for v in LABEL_SEEDS.value]
  if not values or not all(v.isdigit() and int(v) < 2 ** 32 for v in values) or len(
      set(map(int, values))) < len(values):
    raise cli.usage_error("label_seeds", f"{','.join(values)!r} must be distinct integers from 0 "
                          "to 2^32 - 1, as in --label_seeds=0,1,2.")
  return [int(v) for v in values]


def holdout_choice(config, workdir: str, splits: dict, seed: int) -> dict:
  """Trains the model without the last holdout / 10 labelled images of each class
  (`data.split_holdout`), keeping every epoch's checkpoint, and measures each epoch's accuracy
  on those held-out images; the MLP's steps are chosen the same way. No test label is read."""
  from ae.evaluation import adversarial
  from ae.training import checkpoints
  c = config.copy_and_resolve_references()
  c.data.label_seed, c.data.label_holdout = seed, HOLDOUT.value
  c.train.keep_checkpoints = c.train.epochs
  result = train(config_lib.validate(c), workdir, splits)
  images, labels = np.asarray(splits["train"].images), np.asarray(splits["train"].labels)
  kept, held = data.split_holdout(
      data.labelled_indices(labels, c.data.num_labels, seed), labels, HOLDOUT.value)
  mngr = checkpoints.manager(workdir, c.train.keep_checkpoints)
  try:
    accuracy = [float(np.mean(adversarial.categories(
        result.model, checkpoints.restore(mngr, result.state, epoch), images[held]) ==
        labels[held])) for epoch in range(1, c.train.epochs + 1)]
  finally:
    mngr.close()
  mlp = [semisupervised.mlp_accuracy(images[kept], labels[kept], images[held], labels[held],
                                     tuple(c.model.hidden), c.model.activation, steps, seed=seed)
         for steps in MLP_STEP_CHOICES]
  epoch = 1 + int(np.argmax(accuracy))
  # A choice at the last epoch may only mean that training stopped while accuracy still rose.
  converged = epoch < c.train.epochs
  return {"holdout_accuracy_by_epoch": accuracy, "epoch": epoch, "holdout_converged": converged,
          **({} if converged else {"holdout_fix": (
              f"the held-out accuracy was highest in the last epoch ({accuracy[-1]:.4f}, epoch "
              f"{epoch} of {c.train.epochs}): raise --config.train.epochs (now "
              f"{c.train.epochs})")}),
          "mlp_holdout_accuracy_by_steps": dict(zip(map(str, MLP_STEP_CHOICES), mlp)),
          "mlp_steps": MLP_STEP_CHOICES[int(np.argmax(mlp))]}


def main(argv):
  del argv
  config = config_lib.validate(cli.config_value(CONFIG))
  name = config.model.name
  if name not in ("m2", "aae_cat") or not config.data.num_labels:
    raise cli.usage_error("config", "must be a semi-supervised config (m2 or aae_cat with "
                          "data.num_labels > 0), such as experiments/configs/semisupervised.py.")
  seeds = label_seeds()
  if HOLDOUT.value and (HOLDOUT.value < 0 or HOLDOUT.value % 10 or
                        HOLDOUT.value >= config.data.num_labels):
    raise cli.usage_error("holdout_labels", f"{HOLDOUT.value} must be a multiple of 10 below "
                          f"data.num_labels ({config.data.num_labels}), or 0.")
  vae_config = cli.config_value(VAE_CONFIG)
  vae_config.unlock()
  for field in vae_config.data.keys():   # The same data (the VAE never sees a label).
    vae_config.data[field] = config.data[field]
  vae_config.lock()
  cli.SETTING_FLAGS["config_prefix"] = "--vae_config."
  config_lib.validate(vae_config)
  cli.SETTING_FLAGS["config_prefix"] = "--config."
  if vae_config.model.name not in ("vae", "iwae"):
    raise cli.usage_error("vae_config", "must be an unsupervised VAE config, such as "
                          "experiments/configs/vae.py.")
  root = cli.prepare_workdir(WORKDIR.value)
  splits = loop.load_splits(config)
  train_split, test = splits["train"], splits["test"]
  train_images, train_labels = np.asarray(train_split.images), np.asarray(train_split.labels)
  m1 = train(vae_config, os.path.join(root, "m1_vae"), splits)
  rows = []
  for seed in seeds:
    c = config.copy_and_resolve_references()
    c.data.label_seed = seed
    result = train(config_lib.validate(c), os.path.join(root, f"{name}_seed{seed}"), splits)
    found = result.model.evaluation_metrics(result.state, train_split, test)
    idx = data.labelled_indices(train_labels, config.data.num_labels, seed)
    accuracy, mlp_steps, chosen = found["test_accuracy"], MLP_STEPS.value, {}
    if HOLDOUT.value:
      chosen = holdout_choice(config, os.path.join(
          root, f"{name}_seed{seed}_holdout{HOLDOUT.value}"), splits, seed)
      accuracy = result.history[chosen["epoch"] - 1]["test_accuracy"]
      mlp_steps = chosen["mlp_steps"]
    rows.append({
        "label_seed": seed, name: accuracy, **chosen,
        "mlp": semisupervised.mlp_accuracy(
            train_images[idx], train_labels[idx], test.images, test.labels,
            tuple(config.model.hidden), config.model.activation, mlp_steps, seed=seed),
        "m1": semisupervised.probe_accuracy(m1.model, m1.state, train_images[idx],
                                            train_labels[idx], test.images, test.labels,
                                            PROBE_STEPS.value),
        "cluster_accuracy": found["cluster_accuracy"], "labelled_indices": idx.tolist()})
  methods = (name, "mlp", "m1")
  summary = {m: semisupervised.summary([r[m] for r in rows]) for m in methods}
  best_baseline = max(summary["mlp"]["mean"], summary["m1"]["mean"])
  result = {"model": name, "dataset": config.data.dataset, "num_labels": config.data.num_labels,
            "epochs": config.train.epochs, "vae_epochs": vae_config.train.epochs,
            "test_examples": test.size, "holdout_labels": HOLDOUT.value, "draws": rows,
            "summary": summary,
            "margin_over_best_baseline": summary[name]["mean"] - best_baseline}
  io.write_json(os.path.join(root, "semisupervised.json"), result)
  table = [[m, *(f"{r[m]:.4f}" for r in rows), f"{summary[m]['mean']:.4f}",
            f"{summary[m]['std']:.4f}"] for m in methods]
  print(cli.format_table(["method", *(f"seed {s}" for s in seeds), "mean", "std"], table))
  for r in rows:
    if HOLDOUT.value:
      print(f"held-out epoch choice, label seed {r['label_seed']}: epoch {r['epoch']} of "
            f"{config.train.epochs}, converged: {r['holdout_converged']}")
      if not r["holdout_converged"]:
        print(f"note: the held-out epoch choice did not converge: {r['holdout_fix']}.")
  print(f"{name} - best baseline: {result['margin_over_best_baseline']:+.4f} "
        f"({config.data.num_labels} labels, {test.size} test images); outputs in {root}")


if __name__ == "__main__":
  cli.run(main)
