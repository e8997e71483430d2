r"""The manifold-learning chapter, measured: why an encoder is a manifold learner.

  1. A linear AE learns the PCA subspace (Baldi and Hornik): for each --latent_sizes, the largest
     principal angle between the decoder's span and the top-k principal subspace, how many
     angles exceed 1 degree, the eigen-gap, and both reconstruction errors (linear_ae.png).
  2. Classic 2-D embeddings (PCA, Isomap, LLE, t-SNE) of the same test images against the 2-D
     codes of a trained AE and VAE: kNN accuracy in 2-D, trustworthiness, seconds, and what each
     can do with a new image (embeddings.png).
  3. Euclidean against manifold distance: nearest neighbours by pixels and by the VAE's codes,
     with their label agreement over the whole test set (neighbours.png).
  4. The manifold hypothesis: the VAE's importance-sampled NLL of real test images, of pixel
     blends of two test images, and of uniformly random images (nll.png).
  5. Parzen windows on samples of the VAE, bandwidth chosen on held-out images, next to the
     importance-sampled NLL of the same images (parzen.png).

  python -m experiments.manifold --workdir=runs/manifold \
      --ae_workdir=runs/fashion/ae_latent2 --vae2_workdir=runs/vae/vae_latent2 \
      --vae_workdir=runs/vae/vae_torch_reference
"""

import os
import time

from absl import flags
import jax
import numpy as np

from ae import data, io
from ae.distributions import parzen
from ae.evaluation import likelihood, manifold, metrics, plots
from ae.training import loop
from experiments import cli, common

AE_WORKDIR = flags.DEFINE_string("ae_workdir", None, "A trained AE with a 2-D code.")
VAE2_WORKDIR = flags.DEFINE_string("vae2_workdir", None, "A trained VAE with a 2-D code.")
VAE_WORKDIR = flags.DEFINE_string("vae_workdir", None, "The VAE for latent distances, NLLs and "
                                  "Parzen windows (default: --vae2_workdir).")
LATENT_SIZES = flags.DEFINE_list("latent_sizes", ["2", "8", "32"], "Linear AE latent sizes.")
LINEAR_EXAMPLES = flags.DEFINE_integer("linear_examples", 5000, "Test images for the linear AE.")
LINEAR_OPTIMIZER = flags.DEFINE_enum(
    "linear_optimizer", "als", ["als", "adam"], "How the linear AE is trained: als, alternating "
    "exact minimization over each layer (it reaches the closed-form optimum), or adam, full-batch "
    "Adam with a cosine decay (slow where the eigen-gap is small: 20,000 steps at k = 32).")
LINEAR_STEPS = flags.DEFINE_integer("linear_steps", 6000, "Most steps of the linear AE's "
                                    "optimizer (als stops earlier, at the optimum).")
MAX_ANGLE = 1.0          # degrees: the claim "the linear AE spans the PCA subspace"
MAX_LOSS_GAP = 1e-6      # relative to the closed-form optimum
PARZEN_SIGMA_MIN = flags.DEFINE_float("parzen_sigma_min", 0.05, "Smallest Parzen bandwidth tried.")
PARZEN_SIGMA_MAX = flags.DEFINE_float("parzen_sigma_max", 1.0, "Largest Parzen bandwidth tried.")
EMBED_EXAMPLES = flags.DEFINE_integer("embed_examples", 3000, "Test images embedded in 2-D.")
NEIGHBOURS = flags.DEFINE_integer("neighbours", 5, "k of kNN, trustworthiness and agreement.")
QUERIES = flags.DEFINE_integer("queries", 6, "Queries in neighbours.png.")
NLL_EXAMPLES = flags.DEFINE_integer("nll_examples", 1000, "Images of each kind for the NLLs.")
IS_SAMPLES = flags.DEFINE_integer("num_importance_samples", 100, "k of the NLL estimates.")
PARZEN_SAMPLES = flags.DEFINE_integer("parzen_samples", 10000, "VAE samples as Parzen centres.")
for _name in ("linear_examples", "linear_steps", "embed_examples", "neighbours", "queries",
              "nll_examples", "num_importance_samples", "parzen_samples", "parzen_sigma_min",
              "parzen_sigma_max"):
  cli.require_positive(_name)


def restore(flag, dataset: str, need_2d: bool):
  workdir = flag.value
  if not workdir:
    raise cli.usage_error(flag.name, "is required: name the workdir of a training run.")
  try:
    config, model, state = loop.restore_run(workdir)
  except (FileNotFoundError, ValueError) as e:
    raise cli.usage_error(flag.name, f"{workdir} holds no finished training run ({e}); train "
                          "one first with python -m experiments.train.") from e
  if config.data.dataset != dataset:
    raise cli.usage_error(flag.name, f"{workdir} was trained on {config.data.dataset}, not "
                          f"--dataset={dataset}; use a run trained on {dataset}.")
  if need_2d and config.model.latent_dim != 2:
    raise cli.usage_error(flag.name, f"{workdir} has a {config.model.latent_dim}-D code; name a "
                          "run trained with --config.model.latent_dim=2.")
  return model, state


def linear_ae(x, sizes) -> tuple[dict, object]:
  xc = x - x.mean(0)
  _, components, variances = manifold.pca(xc, max(sizes) + 1)
  out = {}
  for k in sizes:
    if LINEAR_OPTIMIZER.value == "als":
      w, v, losses, steps = manifold.train_linear_autoencoder_als(xc, k, LINEAR_STEPS.value,
                                                                  tol=1e-12)
    else:
      w, v, losses = manifold.train_linear_autoencoder(xc, k, LINEAR_STEPS.value)
      steps = LINEAR_STEPS.value
    c = components[:k]
    angles = manifold.principal_angles(np.asarray(v).T, np.asarray(c).T)
    optimum = manifold.linear_ae_optimum(xc, k)
    w, v = np.asarray(w, np.float64), np.asarray(v, np.float64)
    loss = 0.5 * float(np.mean(np.sum((np.asarray(xc, np.float64) @ w @ v - xc) ** 2, 1)))
    gap = (loss - optimum) / optimum
    converged = bool(angles.max() <= MAX_ANGLE and gap <= MAX_LOSS_GAP)
    out[str(k)] = {
        "max_principal_angle_deg": float(angles.max()),
        "angles_over_1_deg": int((angles > 1).sum()),
        "eigengap_ratio": float(variances[k] / variances[k - 1]),   # lambda_k+1 / lambda_k
        "pca_error": manifold.reconstruction_error(xc, c.T, c),
        "linear_ae_error": manifold.reconstruction_error(xc, w.astype(np.float32),
                                                         v.astype(np.float32)),
        "optimizer": LINEAR_OPTIMIZER.value, "steps": int(steps),
        "final_loss_change": float(losses[-2] - losses[-1]) if len(losses) > 1 else None,
        "loss_gap_to_optimum": float(gap), "converged": converged,
        **({} if converged else {"fix": (
            f"the largest angle is {angles.max():.3g} degrees and the loss {gap:.2e} above its "
            f"optimum after {steps} steps: raise --linear_steps (now {LINEAR_STEPS.value})"
            + (" or use --linear_optimizer=als" if LINEAR_OPTIMIZER.value == "adam" else ""))})}
  total = float(np.mean(np.sum(np.asarray(xc, np.float64) ** 2, axis=1)))
  return out, plots.linear_ae_vs_pca(variances[:max(sizes)], total, out)


def embeddings(split, models: dict, class_names) -> tuple[dict, object]:
  x = np.asarray(data.preprocess(split.images))
  labels = np.asarray(split.labels)
  table, points, notes = {}, {}, {}
  k = NEIGHBOURS.value
  for method in manifold.CLASSIC:
    e, seconds = manifold.embed(x, method, common.SEED.value)
    points[method] = e
    table[method] = {"seconds": seconds, "embeds_new_images": manifold.EMBEDS_NEW_POINTS[method],
                     "decodes_back": manifold.DECODES_BACK[method]}
  for name, (model, state) in models.items():
    evaluator = metrics.Evaluator(model, state)
    jax.block_until_ready(evaluator.encode(split.images[:8]))   # compile outside the timing
    start = time.perf_counter()
    points[name] = np.asarray(jax.block_until_ready(evaluator.encode(split.images)))
    table[name] = {"seconds": time.perf_counter() - start, "embeds_new_images": True,
                   "decodes_back": True}
  for name, e in points.items():
    table[name].update({f"knn_accuracy_k{k}": manifold.knn_label_agreement(e, labels, k)[
        "knn_accuracy"], f"trustworthiness_k{k}": manifold.trustworthiness(x, e, k)})
    notes[name] = (f"kNN {table[name][f'knn_accuracy_k{k}']:.3f}, trust "
                   f"{table[name][f'trustworthiness_k{k}']:.3f}, {table[name]['seconds']:.1f}s")
  return table, plots.embedding_panels(points, labels, class_names, notes)


def distances(split, model, state) -> tuple[dict, object]:
  x = np.asarray(data.preprocess(split.images))
  codes = np.asarray(metrics.Evaluator(model, state).encode(split.images, split.labels))
  k, labels = NEIGHBOURS.value, np.asarray(split.labels)
  out = {"pixel": manifold.knn_label_agreement(x, labels, k),
         "latent": manifold.knn_label_agreement(codes, labels, k), "neighbours": k}
  q = min(QUERIES.value, split.size)
  rows, names = [], []
  for i in range(q):
    for space, points in (("pixels", x), ("codes", codes)):
      nn = np.asarray(metrics.nearest_neighbours(points, points[i:i + 1], k + 1))[0]
      rows.append(np.concatenate([x[i:i + 1], x[nn[nn != i][:k]]]))
      names.append(f"#{i} by {space}")
  figure = plots.image_grid(np.stack(rows), f"nearest test images by pixel distance and by "
                            f"{model.name} code distance", names,
                            ["query"] + [f"{j + 1}" for j in range(k)])
  return out, figure


def manifold_hypothesis(split, model, state) -> tuple[dict, dict, object]:
  n = min(NLL_EXAMPLES.value, split.size // 2)
  rng = np.random.default_rng(common.SEED.value)
  real = split.images[:n]
  a, b = np.asarray(split.images[:n], np.float32), np.asarray(split.images[n:2 * n], np.float32)
  blends = np.round((a + b) / 2).astype(np.uint8)
  noise = rng.integers(0, 256, size=real.shape).astype(np.uint8)
  nlls = {}
  for name, images in (("test images", real), ("pixel blends of two", blends),
                       ("uniform noise", noise)):
    s = data.Split(images, split.labels[:n], "")
    nlls[name] = likelihood.importance_sampled_nll(model, state, s, IS_SAMPLES.value)
  out = {name: {"mean": float(v.mean()), "median": float(np.median(v))}
         for name, v in nlls.items()}
  return out, nlls, plots.nll_histograms(nlls, f"{model.name}: how far from the data manifold")


def parzen_windows(train, split, model, state, real_nll) -> tuple[dict, object]:
  z = jax.random.normal(jax.random.PRNGKey(common.SEED.value),
                        (PARZEN_SAMPLES.value, model.config.model.latent_dim))
  labels = jax.numpy.zeros(z.shape[0], jax.numpy.int32)
  centres = np.concatenate([np.asarray(model.likelihood.mean(model.decode(state, z[i:i + 1000],
                                                                          labels[i:i + 1000])))
                            for i in range(0, z.shape[0], 1000)])
  validation = np.asarray(data.preprocess(train.images[:1000]))   # held out: not test images
  sigmas = np.geomspace(PARZEN_SIGMA_MIN.value, PARZEN_SIGMA_MAX.value, 20)
  sigma, curve = parzen.select_bandwidth(centres, validation, sigmas)
  # The held-out likelihood's maximum lies inside the grid, or the choice is only the grid's end.
  edge = {0: "smallest", len(sigmas) - 1: "largest"}.get(int(np.argmax(curve)))
  fix = None if edge is None else (
      f"the held-out log-likelihood is highest at the {edge} bandwidth tried ({sigma:.3g}): "
      f"{'lower --parzen_sigma_min' if edge == 'smallest' else 'raise --parzen_sigma_max'}")
  test = np.asarray(data.preprocess(split.images[:real_nll.shape[0]]))
  log_p = parzen.log_density(test, centres, sigma)
  out = {"sigma": sigma, "samples": int(PARZEN_SAMPLES.value),
         "test_log_likelihood": float(log_p.mean()),
         "test_nll_is_same_images": float(real_nll.mean()),
         "bandwidths": [float(s) for s in sigmas],
         "validation_log_likelihood": [float(c) for c in curve],
         "converged": fix is None, **({"fix": fix} if fix else {})}
  return out, plots.bandwidth_curve(sigmas, curve, sigma, f"Parzen windows on {PARZEN_SAMPLES.value}"
                                    f" samples of {model.name}: bandwidth on held-out images")


def main(argv):
  del argv
  sizes = cli.positive_integers(LATENT_SIZES, high=783)
  if PARZEN_SIGMA_MIN.value >= PARZEN_SIGMA_MAX.value:
    raise cli.usage_error("parzen_sigma_min", f"{PARZEN_SIGMA_MIN.value:g} must be below "
                          f"--parzen_sigma_max={PARZEN_SIGMA_MAX.value:g}.")
  from ae.training import memory
  n = PARZEN_SAMPLES.value   # centres [n, 784] (and the decoder's copy), distances [1000, n]
  said = memory.shortfall(4 * n * (2 * 784 + 3 * 1000), "the Parzen centres and distances")
  if said:
    raise cli.usage_error("parzen_samples", f"{n} {said}; lower it.")
  workdir = cli.prepare_workdir(common.WORKDIR.value)
  dataset = common.DATASET.value
  learned = {"ae (2-D code)": restore(AE_WORKDIR, dataset, True),
             "vae (2-D code)": restore(VAE2_WORKDIR, dataset, True)}
  vae = restore(VAE_WORKDIR, dataset, False) if VAE_WORKDIR.value else learned["vae (2-D code)"]
  test = data.load(dataset, "test", common.DATA_DIR.value)
  train = data.load(dataset, "train", common.DATA_DIR.value, max_examples=1000)
  for flag in (LINEAR_EXAMPLES, EMBED_EXAMPLES, NLL_EXAMPLES):
    if flag.value > test.size:
      raise cli.usage_error(flag.name, f"{flag.value} is more than the {test.size} test images "
                            f"in {test.source}; lower it.")
  if max(sizes) >= LINEAR_EXAMPLES.value:
    raise cli.usage_error("latent_sizes", f"{max(sizes)} needs more than that many images to "
                          f"fit; keep it below --linear_examples={LINEAR_EXAMPLES.value}.")
  if NEIGHBOURS.value >= min(EMBED_EXAMPLES.value, train.size):
    raise cli.usage_error("neighbours", f"{NEIGHBOURS.value} needs more than that many images; "
                          "keep it below --embed_examples.")
  cli.write_config(workdir, {"data_source": test.source})
  x_linear = np.asarray(data.preprocess(test.images[:LINEAR_EXAMPLES.value]))
  results, figures = {}, {}
  results["linear_ae"], figures["linear_ae"] = linear_ae(x_linear, sizes)
  results["linear_ae_max_principal_angle_deg"] = {
      k: v["max_principal_angle_deg"] for k, v in results["linear_ae"].items()}
  results["embeddings"], figures["embeddings"] = embeddings(
      test.head(EMBED_EXAMPLES.value), learned, data.CLASS_NAMES[dataset])
  results["distance_label_agreement"], figures["neighbours"] = distances(test, *vae)
  results["nll"], nlls, figures["nll"] = manifold_hypothesis(test, *vae)
  results["parzen"], figures["parzen"] = parzen_windows(train, test, *vae, nlls["test images"])
  io.write_json(os.path.join(workdir, "metrics.json"), results)
  for name, figure in figures.items():
    io.save_figure(figure, os.path.join(workdir, f"{name}.png"))
  k = NEIGHBOURS.value
  print(cli.format_table(["latent k", "max angle (deg)", "angles > 1 deg",
                          "lambda_k+1 / lambda_k", "PCA error", "linear AE error", "steps",
                          "converged"],
                         [[k_, v["max_principal_angle_deg"], v["angles_over_1_deg"],
                           v["eigengap_ratio"], v["pca_error"], v["linear_ae_error"],
                           v["steps"], v["converged"]]
                          for k_, v in results["linear_ae"].items()]))
  for k_, v in results["linear_ae"].items():
    if not v["converged"]:
      print(f"note: the linear AE with k = {k_} did not converge: {v['fix']}.")
  print(cli.format_table(["embedding", f"kNN k={k}", f"trust k={k}", "seconds", "new images",
                          "decodes"],
                         [[n, v[f"knn_accuracy_k{k}"], v[f"trustworthiness_k{k}"], v["seconds"],
                           v["embeds_new_images"], v["decodes_back"]]
                          for n, v in results["embeddings"].items()]))
  print(cli.format_table(["images", "mean NLL", "median NLL"],
                         [[n, v["mean"], v["median"]] for n, v in results["nll"].items()]))
  p = results["parzen"]
  print(f"Parzen (sigma {p['sigma']:.3g}): mean test log-likelihood {p['test_log_likelihood']:.1f}"
        f" nats; importance-sampled NLL of the same images {p['test_nll_is_same_images']:.1f}; "
        f"bandwidth converged: {p['converged']}")
  if not p["converged"]:
    print(f"note: the Parzen bandwidth did not converge: {p['fix']}.")
  print(f"outputs in {workdir}")


if __name__ == "__main__":
  cli.run(main)
