r"""Evaluates a trained model from its workdir (config.json + the latest checkpoint).

Writes WORKDIR/eval.json: test reconstruction NLL (nats per example), latent kNN classification
accuracy (k = 1 and 5, train codes as the index) and a linear-probe accuracy; and
WORKDIR/retrieval.png: query test images with their nearest train images in latent space.
For models with a likelihood model of x (vae, iwae, cvae) also test_elbo and the importance-
sampled test_nll_is with each k of --num_importance_samples (the last one is test_nll_is), and
with a 2-D code the manifold figure over the grid of --manifold_grid. Families add their own
results (`model.evaluation_metrics`): the AAE's label_component_agreement (label-incorporated
priors), aae_cat's cluster_accuracy and, with labels, test_accuracy.

  python -m experiments.evaluate --workdir=runs/ae32
  python -m experiments.evaluate --workdir=runs/vae --num_importance_samples=1,10,100,1000
"""

import os

from absl import flags
import jax
import numpy as np

from ae import data, io
from ae.distributions import eight_bit, likelihoods
from ae.evaluation import frechet, generative, likelihood, metrics, plots
from ae.training import loop, step
from experiments import cli
from experiments.runs import load_run

WORKDIR = flags.DEFINE_string("workdir", None, "A workdir written by experiments.train.")
KS = flags.DEFINE_list("k", ["1", "5"], "Neighbour counts for kNN accuracy.")
PROBE_STEPS = flags.DEFINE_integer("probe_steps", 200, "L-BFGS steps of the linear probe.")
QUERIES = flags.DEFINE_integer("queries", 8, "Query images in the retrieval figure.")
NEIGHBOURS = flags.DEFINE_integer("neighbours", 8, "Neighbours per query in the figure.")
cli.SETTING_FLAGS["data_dir"] = "data.data_dir in the run's config.json"
IS_SAMPLES = flags.DEFINE_list("num_importance_samples", ["1000"], "Importance samples k of the "
                               "test NLL estimate; several give one estimate each.")
IS_CHUNK = flags.DEFINE_integer("importance_chunk", 500, "Samples drawn at once (memory bound).")
IS_BATCH = flags.DEFINE_integer("importance_batch", 100, "Test images per estimate batch.")
MANIFOLD_GRID = flags.DEFINE_enum("manifold_grid", "quantile", generative.GRIDS,
                                  "Codes of manifold.png (2-D codes): prior quantiles or uniform.")
COMPUTE_DTYPE = flags.DEFINE_enum("compute_dtype", "float32", ["float32", "bfloat16"],
                                  "The networks' compute dtype for every number evaluated here "
                                  "(the log-densities and logsumexps stay float32); float32 by "
                                  "default whatever the run trained in.")
ALLOW_OTHER_DATA = flags.DEFINE_bool("allow_other_data", False, "Evaluate even when the data "
                                     "loaded now is not the data the run was trained on.")
FRECHET_SAMPLES = flags.DEFINE_integer("frechet_samples", 0, "Generated images scored by the "
                                       "Fréchet classifier distance (0: not computed).")
FRECHET_STEPS = flags.DEFINE_integer("frechet_classifier_steps", 1000, "Training steps (batch "
                                     "128) of the classifier whose features the FCD compares.")
INCEPTION = flags.DEFINE_string("inception_saved_model", None, "A TensorFlow SavedModel of "
                                "Inception (images [B, 299, 299, 3] in [-1, 1] -> pool features): "
                                "with --frechet_samples, true FID next to the FCD.")
for _name in ("probe_steps", "queries", "neighbours", "importance_chunk", "importance_batch",
              "frechet_classifier_steps"):
  cli.require_positive(_name)
cli.require_positive("frechet_samples", strict=False)

@flags.multi_flags_validator(["inception_saved_model", "frechet_samples"])
def _check_inception(f) -> bool:
  path = f["inception_saved_model"]
  if path is not None and f["frechet_samples"] == 0:
    raise flags.ValidationError("--inception_saved_model scores generated images, so it needs "
                                "--frechet_samples (such as --frechet_samples=10000).")
  if path is not None and not os.path.isfile(os.path.join(path, "saved_model.pb")):
    raise flags.ValidationError(f"--inception_saved_model: {path} holds no saved_model.pb (a "
                                "TensorFlow SavedModel of Inception); fix the path or leave the "
                                "flag out.")
  return True


cli.FIXES["data_mismatch"] = lambda: ("restore its data (data.data_dir in config.json), or pass "
                                      "--allow_other_data to evaluate on this data anyway")


def check_importance_memory(config, model) -> None:
  """The importance-sampled NLL holds one chunk's codes [chunk, batch, z] and their weights, and
  decodes them in blocks of variational.ROWS_PER_BLOCK rows: refused when that cannot fit."""
  from ae.models import variational
  from ae.training import memory
  m, k = config.model, max(cli.positive_integers(IS_SAMPLES))
  rows = IS_BATCH.value * min(IS_CHUNK.value, k)
  block = min(rows, variational.ROWS_PER_BLOCK)
  outputs = model.num_pixels * model.likelihood.outputs_per_pixel
  widths = loop.layer_widths(config, model.spec)
  needed = 4 * (rows * (3 * m.latent_dim + 4) + 3 * block * (outputs + 2 * sum(widths)))
  said = memory.shortfall(needed, f"{rows} codes at once: --importance_batch x "
                          "--importance_chunk")
  if said:
    flag = IS_CHUNK if IS_CHUNK.value >= IS_BATCH.value else IS_BATCH
    raise cli.usage_error(flag.name, f"{flag.value} {said}; lower it.")


def likelihood_metrics(config, model, state, test, test_codes) -> dict:
  """test_elbo (one sample, closed-form KL), test_nll_is for every k asked for, and the active
  units: code dimensions u with Cov_x(E_q[z_u | x]) > 1e-2 over the test set (Burda et al.)."""
  ks = cli.positive_integers(IS_SAMPLES)
  evaluate = step.make_evaluate(model.eval_step, config.train.eval_batch_size,
                                scan=step.scan_suits(config.model.network))
  out = {"test_elbo": evaluate(state, test, jax.random.PRNGKey(0))["elbo"]}
  by_k = {}
  for k in ks:
    nll = likelihood.importance_sampled_nll(model, state, test, k, IS_BATCH.value,
                                            IS_CHUNK.value,
                                            scan=step.scan_suits(config.model.network))
    by_k[str(k)] = float(nll.mean())
  out.update(test_nll_is=by_k[str(ks[-1])], num_importance_samples=ks[-1],
             test_nll_is_by_k=by_k,
             active_units=int((np.var(np.asarray(test_codes, np.float64), 0) > 1e-2).sum()))
  return out


def bits_per_dim(config, model, result: dict) -> dict:
  """With an 8-bit likelihood (a discrete distribution over the 256 pixel values), each NLL
  in bits per dimension: NLL / (H W C ln 2); the ELBO as its bound, -ELBO / (H W C ln 2)."""
  if config.model.likelihood not in likelihoods.EIGHT_BIT:
    return {}
  d = model.num_pixels
  out = {"bits_per_dim_note": f"8-bit pixels ({config.model.likelihood}): nats / ({d} ln 2)"}
  for key in ("test_reconstruction_nll", "test_nll_is"):
    if key in result:
      out[f"{key}_bits_per_dim"] = eight_bit.bits_per_dim(result[key], d)
  if "test_elbo" in result:
    out["test_neg_elbo_bits_per_dim"] = eight_bit.bits_per_dim(-result["test_elbo"], d)
  return out


def check_sample_quality(config, model) -> None:
  """--frechet_samples needs a prior to sample from and labels to train the classifier on."""
  if model.log_importance_weights is None and getattr(model, "prior", None) is None:
    raise cli.usage_error("frechet_samples", f"{model.name} has no prior to sample images "
                          "from; set it to 0 for this run.")
  if not model.spec.num_classes or not model.spec.is_image:
    raise cli.usage_error("frechet_samples", "the classifier of the Fréchet distance needs "
                          "labelled training images, and this data has none; set it to 0.")


def sample_quality(model, state, train, test) -> dict:
  """The Fréchet classifier distance of --frechet_samples generated images to the test images,
  with its floor (train images against test images) and the classifier's test accuracy; FID
  the same way with --inception_saved_model."""
  n = FRECHET_SAMPLES.value
  fake = generative.prior_samples(model, state, n)
  real = data.preprocess(np.asarray(test.images))
  # A random subset: a folder's images come sorted by class, so its first n are not a sample.
  pick = np.random.default_rng(0).permutation(train.size)[:min(n, train.size)]
  floor = data.preprocess(np.asarray(train.images)[np.sort(pick)])
  features, accuracy = frechet.fit_classifier(train, FRECHET_STEPS.value)
  real_f = features(real)
  out = {"frechet_classifier_distance": frechet.feature_distance(real_f, features(fake)),
         "frechet_classifier_distance_train_images": frechet.feature_distance(
             real_f, features(floor)),
         "frechet_classifier_test_accuracy": accuracy(test), "frechet_samples": n,
         "frechet_note": f"features of a conv classifier trained here ({FRECHET_STEPS.value} "
                         "steps, seed 0) on the training images; not comparable with FID"}
  if INCEPTION.value:
    inception = frechet.inception_features(INCEPTION.value, model.spec.shape)
    real_i = frechet.batched(inception, real, 100)
    out["fid"] = frechet.feature_distance(real_i, frechet.batched(inception, fake, 100))
  return out


def main(argv):
  del argv
  ks = sorted(set(cli.positive_integers(KS)))
  cli.positive_integers(IS_SAMPLES)   # Checked before any work.
  if not WORKDIR.value or not os.path.isdir(WORKDIR.value):
    raise cli.usage_error("workdir", f"{WORKDIR.value} is not a directory; name the workdir "
                          "of a training run.")
  workdir = WORKDIR.value
  # Read-only outputs are refused before any computation, and the run's lock is taken before its
  # checkpoint is read: a run still being trained is refused (its checkpoints change under it).
  cli.prepare_workdir(workdir)
  config, model, state = load_run(workdir, COMPUTE_DTYPE.value)
  if config.model.name == "m1m2":
    raise cli.usage_error("workdir", f"{workdir} holds an m1m2 run: M2 on M1's codes, which "
                          "reconstructs codes, not images; its test accuracy is in its "
                          "metrics.jsonl, and M1's run (m1m2.m1_workdir) is the one to evaluate.")
  if model.log_importance_weights is not None:
    check_importance_memory(config, model)
  if FRECHET_SAMPLES.value:
    check_sample_quality(config, model)
  splits = loop.load_splits(config)
  if not ALLOW_OTHER_DATA.value:
    loop.check_data(workdir, splits)
  train, test = splits["train"], splits["test"]
  for flag, value in (("k", ks[-1]), ("neighbours", NEIGHBOURS.value)):
    if value > train.size:
      raise cli.usage_error(flag, f"{value} is more than the {train.size} training images "
                            "the neighbours are drawn from; lower it.")
  evaluator = metrics.Evaluator(model, state)
  train_codes = evaluator.encode(train.images, train.labels)
  test_codes = evaluator.encode(test.images, test.labels)
  classes = model.spec.num_classes
  result = {
      "model": config.model.name, "dataset": config.data.dataset,
      "latent_dim": config.model.latent_dim,
      "epoch": int(state.step) // max(1, train.size // config.train.batch_size),
      "step": int(state.step),
      "test_reconstruction_nll": evaluator.reconstruction_nll(test.images, test.labels),
      "nll_units": "nats per example",
      "train_examples": train.size, "test_examples": test.size, "data_source": test.source,
      "image_shape": list(model.spec.shape),
  }
  if classes:   # Unlabelled data (a folder without class sub-directories) has no accuracies.
    knn = metrics.knn_accuracy(train_codes, train.labels, test_codes, test.labels, ks, classes)
    result.update({f"knn_accuracy_k{k}": v for k, v in knn.items()})
    result["linear_probe_accuracy"] = metrics.linear_probe(
        train_codes, train.labels, test_codes, test.labels, PROBE_STEPS.value, num_classes=classes)
  result.update(model.evaluation_metrics(state, train, test))
  if model.log_importance_weights is not None:
    result.update(likelihood_metrics(config, model, state, test, test_codes))
    if config.model.latent_dim == 2:
      io.save_figure(generative.manifold(model, state, MANIFOLD_GRID.value),
                     os.path.join(workdir, "manifold.png"))
  result.update(bits_per_dim(config, model, result))
  if FRECHET_SAMPLES.value:
    result.update(sample_quality(model, state, train, test))
  io.write_json(os.path.join(workdir, "eval.json"), result)
  q = min(QUERIES.value, test.size)
  nearest = np.asarray(metrics.nearest_neighbours(train_codes, test_codes[:q], NEIGHBOURS.value))
  io.save_figure(plots.retrieval(data.preprocess(test.images[:q]),
                                 data.preprocess(np.asarray(train.images)[nearest.ravel()]).reshape(
                                     q, NEIGHBOURS.value, -1),
                                 f"{config.model.name}, latent {config.model.latent_dim}: "
                                 "nearest train images in code space", model.spec.shape),
                 os.path.join(workdir, "retrieval.png"))
  print(cli.format_table(["metric", "value"], [[k, v] for k, v in result.items()
                                                if isinstance(v, float)]))
  print(f"outputs in {workdir}")


if __name__ == "__main__":
  cli.run(main, lambda: "its results are not evaluated; retrain it into a new --workdir with a "
          "lower --config.train.learning_rate.")
