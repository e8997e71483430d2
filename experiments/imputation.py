r"""Regression with trained autoencoders (the lecture's part 5): the missing half of test digits,
randomly missing pixels and Gaussian noise, filled in or removed by a VAE (Rezende et al.'s
chain), a conditional VAE given the label and a denoising AE, against the mean image and the
nearest training images in pixel space (`ae.evaluation.imputation`).

  python -m experiments.imputation --vae=runs/vaegan20_vae --dae=runs/dae_mnist \
      --cvae=runs/cvae_mnist --workdir=runs/imputation

Writes imputation.json (per task and method: nll and squared_error of the true pixels, nats or
squares summed over the missing pixels, mean over the test images; for the rows
"p(x_m given x_o)" the nll is the model's own importance-sampled -log p(x_m | x_o)) and
imputation.png.
"""

import os

from absl import flags
import jax
import numpy as np

from ae import data
from ae.evaluation import imputation, plots
from ae.training import loop
from experiments import cli, common
from experiments.runs import load_run

VAE = flags.DEFINE_string("vae", None, "Workdir of a trained vae (or any model with a Gaussian "
                          "encoder: iwae, vaegan).")
CVAE = flags.DEFINE_string("cvae", None, "Workdir of a trained cvae on the same data (optional).")
DAE = flags.DEFINE_string("dae", None, "Workdir of a trained dae or ae on the same data "
                          "(optional).")
ITERATIONS = flags.DEFINE_integer("iterations", 50, "Steps of the VAE's chain (the second half "
                                  "is averaged).")
FRACTION = flags.DEFINE_float("fraction", 0.5, "Missing fraction of the random mask.")
SIGMA = flags.DEFINE_float("noise_sigma", 0.3, "Standard deviation of the Gaussian noise.")
CHAINS = flags.DEFINE_integer("chains", 10, "Chains whose encoders make the proposal of "
                              "p(x_m | x_o), started from the nearest training images.")
SAMPLES = flags.DEFINE_integer("samples_per_chain", 200, "Importance samples drawn per chain.")
WIDEN = flags.DEFINE_float("widen", 2.0, "Scale of the proposal components' standard deviations "
                           "against the encoder's.")
MAX_TEST = flags.DEFINE_integer("max_test_examples", None, "Score the first N test images only.")
cli.require_positive("iterations", high=100000)
cli.require_positive("chains", high=1000)
cli.require_positive("samples_per_chain", high=100000)
cli.require_positive("widen")
cli.require_range("fraction", 0, 1)
cli.require_positive("noise_sigma", strict=False)
cli.require_positive("max_test_examples")
cli.SETTING_FLAGS["data_dir"] = "data.data_dir in the runs' config.json"
ROWS = 8   # test images in the figure


def _run(flag, kind: str):
  workdir = flags.FLAGS[flag].value
  if not os.path.isdir(workdir):
    raise cli.usage_error(flag, f"{workdir} is not a directory; name a trained {kind} run.")
  config, model, state = load_run(workdir)
  return config, model, state


def _check(flag, config, model, first_config, needs: str | None = None):
  if needs and not hasattr(model, needs):
    raise cli.usage_error(flag, f"{flags.FLAGS[flag].value} holds a run of {model.name}, which "
                          "has no Gaussian encoder to run the chain with; name a vae, iwae or "
                          "vaegan run.")
  if config.model.likelihood != "bernoulli":
    raise cli.usage_error(flag, f"{flags.FLAGS[flag].value} has a {config.model.likelihood} "
                          "likelihood; these scores need decoder means in [0, 1] (bernoulli).")
  if first_config is not None and config.data.dataset != first_config.data.dataset:
    raise cli.usage_error(flag, f"{flags.FLAGS[flag].value} was trained on "
                          f"{config.data.dataset}, not {first_config.data.dataset} as --vae; "
                          "name runs on the same data.")


def main(argv):
  del argv
  if not VAE.value:
    raise cli.usage_error("vae", "is required: name a trained vae run, as in --vae=runs/vae.")
  workdir = cli.prepare_workdir(common.WORKDIR.value)
  config, vae, vae_state = _run("vae", "vae")
  _check("vae", config, vae, None, needs="encode_distribution")
  others = {}
  for flag, kind in ((CVAE, "cvae"), (DAE, "dae")):
    if flag.value:
      c, m, s = _run(flag.name, kind)
      _check(flag.name, c, m, config, needs="encode_distribution" if kind == "cvae" else None)
      others[kind] = (m, s)
  splits = loop.load_splits(config)
  train, test = splits["train"], splits["test"]
  if MAX_TEST.value:
    test = test.head(MAX_TEST.value)
  train_x = np.asarray(data.preprocess(train.images))
  x = np.asarray(data.preprocess(test.images))
  labels = np.asarray(test.labels)
  cli.write_config(workdir, {"dataset": config.data.dataset, "test_examples": int(x.shape[0])})
  rng = jax.random.PRNGKey(common.SEED.value)
  mean = imputation.mean_image(train_x, x.shape[0])

  def predictions(x_in, missing, nll):
    out = {"mean image": mean}
    idx = imputation.neighbour_indices(train_x, x_in, missing, max(10, CHAINS.value))
    for k, p in imputation.neighbour_means(train_x, idx).items():
      out[f"{k}-NN"] = p
    starts = train_x[idx[:, :CHAINS.value]]   # [N, C, D]: the chains start at neighbours
    models = [("vae", vae, vae_state, None)]
    if "cvae" in others:
      models.append(("cvae", *others["cvae"], labels))
    for name, m, s, y in models:
      given = " (label)" if y is not None else ""
      out[f"{name} chain{given}"] = imputation.vae_chain(m, s, x_in, missing, mean, rng,
                                                         ITERATIONS.value, y)
      nll[f"{name} p(x_m given x_o){given}"], out[f"{name} p(x_m given x_o){given}"] = (
          imputation.vae_conditional(m, s, x_in, missing, starts, rng, ITERATIONS.value,
                                     SAMPLES.value, y, widen=WIDEN.value))
    if "dae" in others:
      m, s = others["dae"]
      out["dae"] = imputation.one_pass(lambda b: m.likelihood.mean(m.reconstruct(s, b)),
                                       np.where(missing, 0.0, x_in).astype(np.float32))
    return out

  results, shown = {}, {}
  shape = vae.spec.shape
  for task in imputation.MASKS:
    missing = imputation.masks(task, shape, x.shape[0], FRACTION.value, common.SEED.value)
    model_nll = {}
    preds = predictions(x, missing, model_nll)
    results[task] = {name: imputation.scores(x, p, missing) for name, p in preds.items()}
    for name, values in model_nll.items():   # the model's own -log p(x_m | x_o)
      results[task][name]["nll"] = float(np.mean(values))
    shown[task] = (missing, preds)
  noisy = imputation.gaussian_noise(x, SIGMA.value, common.SEED.value)
  everywhere = np.ones_like(x, bool)
  denoised = {"noisy input": noisy, "mean image": mean,
              "vae": imputation.one_pass(lambda b: vae.likelihood.mean(vae.reconstruct(
                  vae_state, b)), noisy)}
  if "dae" in others:
    m, s = others["dae"]
    denoised["dae"] = imputation.one_pass(lambda b: m.likelihood.mean(m.reconstruct(s, b)),
                                          noisy)
  task = f"gaussian_noise_{SIGMA.value:g}"
  results[task] = {name: imputation.scores(x, p, everywhere) for name, p in denoised.items()}
  cli.write_json(os.path.join(workdir, "imputation.json"),
                 {"dataset": config.data.dataset, "test_examples": int(x.shape[0]),
                  "iterations": ITERATIONS.value, "random_fraction": FRACTION.value,
                  "noise_sigma": SIGMA.value, "tasks": results})
  rows, names = [], []
  missing, preds = shown["bottom_half"]
  observed = np.where(missing, 0.5, x)   # The missing half shown grey.
  for name, images in [("true", x), ("observed", observed)] + list(preds.items()):
    rows.append(np.where(missing, images, x)[:ROWS] if name not in ("true", "observed")
                else images[:ROWS])
    names.append(name)
  cli.save_figure(plots.image_grid(np.stack(rows), "the bottom half of test images filled in",
                                   row_labels=names, shape=shape),
                  os.path.join(workdir, "imputation.png"))
  for task, methods in results.items():
    print(task)
    print(cli.format_table(["method", "nll (nats)", "squared error"],
                           [[n, v["nll"], v["squared_error"]] for n, v in methods.items()]))
  print(f"outputs in {workdir}")


if __name__ == "__main__":
  cli.run(main)
