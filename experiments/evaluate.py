r"""Evaluates a trained autoencoder from its workdir (config.json + the latest checkpoint).

Writes WORKDIR/eval.json: test reconstruction NLL (nats per example), latent kNN classification
accuracy (k = 1 and 5, train codes as the index) and a linear-probe accuracy; and
WORKDIR/retrieval.png: query test images with their nearest train images in latent space.

  python -m experiments.evaluate --workdir=runs/ae32
"""

import os

from absl import flags

from ae import checkpoints, cli, data, evaluate, likelihoods, plots, train
from ae.config import ConfigError, TrainConfig

WORKDIR = flags.DEFINE_string("workdir", None, "A workdir written by experiments.train.")
KS = flags.DEFINE_list("k", ["1", "5"], "Neighbour counts for kNN accuracy.")
PROBE_STEPS = flags.DEFINE_integer("probe_steps", 200, "L-BFGS steps of the linear probe.")
QUERIES = flags.DEFINE_integer("queries", 8, "Query images in the retrieval figure.")
NEIGHBOURS = flags.DEFINE_integer("neighbours", 8, "Neighbours per query in the figure.")
for _name in ("probe_steps", "queries", "neighbours"):
  cli.require_positive(_name)


def load_run(workdir: str):
  """(config, model, state) of the run in workdir, restored from its latest checkpoint."""
  path = os.path.join(workdir, "config.json")
  if not os.path.exists(path):
    raise cli.RunError(f"{path} does not exist; train first with "
                       f"python -m experiments.train --workdir={workdir}.")
  try:
    config = TrainConfig.load(path)
  except (ConfigError, ValueError, TypeError) as e:
    raise cli.RunError(f"{path} is not a valid training config ({e}); retrain into a new "
                       "--workdir.") from e
  if checkpoints.latest_step(workdir) is None:
    raise cli.RunError(f"{workdir}/checkpoints holds no checkpoint; train first with "
                       f"python -m experiments.train --workdir={workdir}.")
  model, state = train.create_state(config)
  mngr = checkpoints.manager(workdir, config.keep_checkpoints)
  try:
    state = checkpoints.restore(mngr, state)
  finally:
    mngr.close()
  return config, model, state


def main(argv):
  del argv
  try:
    ks = sorted({int(k) for k in KS.value})
  except ValueError as e:
    raise cli.usage_error("k", f"must be positive integers, not {KS.value}.") from e
  if not ks or ks[0] < 1:
    raise cli.usage_error("k", f"must be positive integers, not {KS.value}.")
  if not WORKDIR.value or not os.path.isdir(WORKDIR.value):
    raise cli.usage_error("workdir", f"{WORKDIR.value} is not a directory; name the workdir "
                          "of a training run.")
  workdir = WORKDIR.value
  config, model, state = load_run(workdir)
  splits = train.load_splits(config)
  (train_images, train_labels, _), (test_images, test_labels, source) = (
      splits["train"], splits["test"])
  likelihood = likelihoods.get(config.likelihood, config.sigma)
  params = state.params
  train_codes = evaluate.encode(model, params, train_images)
  test_codes = evaluate.encode(model, params, test_images)
  knn = evaluate.knn_accuracy(train_codes, train_labels, test_codes, test_labels, ks)
  result = {
      "model": config.model, "dataset": config.dataset, "latent_dim": config.latent_dim,
      "epoch": int(state.step) // max(1, train_images.shape[0] // config.batch_size),
      "step": int(state.step),
      "test_reconstruction_nll": evaluate.reconstruction_nll(model, params, likelihood,
                                                             test_images),
      "nll_units": "nats per example",
      **{f"knn_accuracy_k{k}": v for k, v in knn.items()},
      "linear_probe_accuracy": evaluate.linear_probe(train_codes, train_labels, test_codes,
                                                     test_labels, PROBE_STEPS.value),
      "train_examples": int(train_images.shape[0]), "test_examples": int(test_images.shape[0]),
      "data_source": source,
  }
  cli.write_json(os.path.join(workdir, "eval.json"), result)
  q = min(QUERIES.value, test_images.shape[0])
  nearest = evaluate.nearest_neighbours(train_codes, test_codes[:q], NEIGHBOURS.value)
  cli.save_figure(plots.retrieval(data.to_float(test_images[:q]),
                                  data.to_float(train_images[nearest]),
                                  f"{config.model}, latent {config.latent_dim}: nearest train "
                                  "images in code space"),
                  os.path.join(workdir, "retrieval.png"))
  print(cli.format_table(["metric", "value"], [[k, v] for k, v in result.items()
                                                if isinstance(v, float)]))
  print(f"outputs in {workdir}")


if __name__ == "__main__":
  cli.run(main)
