"""Makhzani et al. 2015 on MNIST (experiments/configs/papers/makhzani_2015.py):

  aae_figure4        Figures 2 and 4: the 2-D codes of the 10,000 test images under N(0, I),
                     under the mixture of ten Gaussians with the labels given to the
                     discriminator, and under the same mixture without them; rows: the
                     labelled mixture's label-component agreement (the fraction of test codes
                     nearest their own label's Gaussian), the unlabelled mixture's clustering
                     accuracy (each Gaussian takes the majority label of its codes), and the
                     fraction of N(0, I) codes farther than 3 from the origin (1.1% of the
                     prior's mass is); the paper shows figures only. WORKDIR/aae_figure4/
                     figure4.png.
  aae_clustering_16  section 6's unsupervised clustering with 16 categories: the test error
                     when each category takes the majority label of its test images, over seeds.
  aae_parzen         Table 1: the mean Parzen-window log-likelihood of the 10,000 test images
                     (gray levels) under 10,000 decoded samples of the prior, the bandwidth
                     chosen on the last 1,000 training images (held out of training); the same
                     for the flax VAE (trained on the same 59,000 images), next to that VAE's
                     importance-sampled test NLL. WORKDIR/aae_parzen/parzen_*.json hold the
                     bandwidths, the curves and the standard errors.
"""

import os

import numpy as np

import jax

from ae import data, io
from ae.distributions import parzen
from ae.evaluation import adversarial, likelihood, metrics, plots
from experiments.configs.papers import flax_examples
from experiments.configs.papers import makhzani_2015 as preset
from experiments.protocols import Anchor, Protocol

_FIGURES = "Makhzani et al. 2015, Figures 2 and 4 (figures only; no number)"
_CLUSTERING = ("Makhzani et al. 2015, Table 3 (16 clusters): 9.55 +- 2.05, recalled, not "
               "confirmed from a stored copy of the paper")
PRIOR_RADIUS = 3.0


def _codes(result):
  test = result.splits["test"]
  codes = np.asarray(metrics.Evaluator(result.model, result.state).encode(test.images))
  return codes, np.asarray(test.labels)


def figure4(ctx) -> dict:
  panels, rows = {}, {}
  titles = {"figure2": "N(0, I) prior", "figure4_unlabelled": "mixture prior, no labels",
            "figure4": "mixture prior, labels to the discriminator"}
  for arg, title in titles.items():
    result = ctx.train(preset.get_config(arg), arg)
    codes, labels = _codes(result)
    panels[title] = adversarial.prior_panel(result.model, result.state, result.splits["test"])
    if arg == "figure2":
      rows["normal_beyond_3"] = [100.0 * float(np.mean(np.linalg.norm(codes, axis=1) >
                                                       PRIOR_RADIUS))]
    elif arg == "figure4":
      rows["labelled_agreement"] = [100.0 * adversarial.label_component_agreement(
          result.model.prior, codes, labels)]
    else:
      import jax.numpy as jnp
      parts = np.asarray(result.model.prior.assign(jnp.asarray(codes)))
      rows["unlabelled_clusters"] = [100.0 * adversarial.cluster_accuracy(parts, labels, 10)]
  io.save_figure(plots.codes_over_prior(panels, data.CLASS_NAMES["mnist"],
                                        "MNIST test codes over samples of the prior"),
                 os.path.join(ctx.root, "figure4.png"))
  return rows


def clustering(ctx) -> dict:
  errors = []
  for seed in range(ctx.seeds):
    config = preset.get_config("clustering16")
    config.train.seed = seed
    result = ctx.train(config, f"clustering16_seed{seed}")
    found = adversarial.evaluation_metrics(result.model, result.state, result.splits["test"])
    errors.append(100.0 * (1.0 - found["cluster_accuracy"]))
  return {"": errors}


PARZEN_SAMPLES = 10000
SIGMAS = np.geomspace(0.05, 1.0, 25)
_PARZEN = "Makhzani et al. 2015, Table 1 (MNIST Parzen window; +- the standard error)"


def parzen_score(result, valid, test) -> dict:
  """The Parzen log-likelihood (nats) of the test images under PARZEN_SAMPLES decoder means at
  prior samples, sigma chosen on `valid` from SIGMAS."""
  model, state = result.model, result.state
  prior = getattr(model, "prior", None)   # the AAE's; N(0, I) for a VAE
  sample = prior.sample if prior is not None else (
      lambda key, n: jax.random.normal(key, (n, model.config.model.latent_dim)))
  z = sample(jax.random.PRNGKey(2015), PARZEN_SAMPLES)
  decode = jax.jit(lambda z: model.likelihood.mean(model.decode(state, z)))
  centres = np.concatenate([np.asarray(decode(z[i:i + 1000]))
                            for i in range(0, PARZEN_SAMPLES, 1000)])
  sigma, curve = parzen.select_bandwidth(centres, valid, SIGMAS)
  ll = parzen.log_density(test, centres, sigma)
  return {"log_likelihood": float(ll.mean()), "sem": float(ll.std(ddof=1) / np.sqrt(ll.size)),
          "sigma": sigma, "sigma_at_grid_edge": sigma in (SIGMAS[0], SIGMAS[-1]),
          "validation_curve": dict(zip(map(float, SIGMAS), map(float, curve)))}


def run_parzen(ctx) -> dict:
  aae = ctx.train(preset.get_config("parzen"), "aae")
  full = data.load("mnist", "train", ctx.data_dir)
  held = full.images[aae.splits["train"].size:]   # the training images the runs never saw
  if held.shape[0] == 0:
    from ae.errors import DataError
    raise DataError(f"the training split of {full.source} has {full.size} images, none beyond "
                    f"the {aae.splits['train'].size} the model trains on, to choose the Parzen "
                    "bandwidth on; use MNIST's 60,000 in {data_dir}")
  valid = np.asarray(data.preprocess(held))
  test = np.asarray(data.preprocess(aae.splits["test"].images))
  rows = {"aae": [ctx.cached("parzen_aae", lambda: parzen_score(aae, valid, test))[
      "log_likelihood"]]}
  if {"vae", "vae_nll_is"} & ctx.rows:
    config = flax_examples.get_config()
    config.data.max_train_examples = aae.splits["train"].size
    vae = ctx.train(config, "vae")
    rows["vae"] = [ctx.cached("parzen_vae", lambda: parzen_score(vae, valid, test))[
        "log_likelihood"]]
    samples = ctx.nll_samples or 5000
    rows["vae_nll_is"] = [ctx.cached(f"vae_nll_k{samples}", lambda: float(
        likelihood.importance_sampled_nll(vae.model, vae.state, vae.splits["test"],
                                          samples).mean()))]
  return {r: v for r, v in rows.items() if r in ctx.rows}


_DIFFERS = ("Our presets' networks (784-512-256, a 512-256 discriminator) instead of the "
            "paper's 1000-unit (3000 for clustering) layers, Adam for every phase instead of "
            "SGD with momentum, 20 epochs, for this machine's compute.")

PROTOCOLS = (
    Protocol(
        name="aae_figure4",
        citation="Makhzani et al. 2015, Adversarial Autoencoders, Figures 2 and 4",
        anchors={
            "labelled_agreement": Anchor(None, None, "% of test codes at their label's Gaussian",
                                         _FIGURES, lower_is_better=False),
            "unlabelled_clusters": Anchor(None, None, "% clustering accuracy (Gaussians as "
                                          "clusters)", _FIGURES, lower_is_better=False),
            "normal_beyond_3": Anchor(None, None, "% of N(0, I) test codes farther than 3 "
                                      "from 0 (prior: 1.11%)", _FIGURES)},
        epochs=preset.get_config("figure4").train.epochs, seeds=1, run=figure4,
        differs=_DIFFERS),
    Protocol(
        name="aae_parzen",
        citation="Makhzani et al. 2015, Adversarial Autoencoders, Table 1 (Parzen window)",
        anchors={
            "aae": Anchor(340.0, 2.0, "nats (Parzen log-likelihood; higher is better)",
                          _PARZEN, lower_is_better=False),
            "vae": Anchor(None, None, "nats (Parzen log-likelihood; higher is better)",
                          _PARZEN, lower_is_better=False),
            "vae_nll_is": Anchor(None, None, "nats (the same VAE's test NLL, k = 5000, "
                                 "binarized test images)", _PARZEN)},
        epochs=preset.get_config("parzen").train.epochs, seeds=1, run=run_parzen,
        differs="Adam for every phase (the paper: SGD with momentum) and the Bernoulli "
                "likelihood on gray levels; the set-up of the public reproduction otherwise."),
    Protocol(
        name="aae_clustering_16",
        citation="Makhzani et al. 2015, Adversarial Autoencoders, section 6 (unsupervised "
                 "clustering)",
        anchors={"": Anchor(9.55, 2.05, "% test error", _CLUSTERING)},
        epochs=preset.get_config("clustering16").train.epochs, seeds=3, run=clustering,
        differs=_DIFFERS),
)
