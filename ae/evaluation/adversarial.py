"""What an adversarial autoencoder (`ae.models.adversarial`) is worth beyond its reconstructions.

  label_component_agreement  label-incorporated priors: the fraction of test codes that lie
                             nearest the prior's part of their own label (`prior.assign`)
  cluster_accuracy           aae_cat: each category takes the majority label of the test images
                             it holds; the fraction of test images whose category's label is
                             their own (Makhzani et al.'s unsupervised clustering)
  test_accuracy              aae_cat with labels: argmax_y q(y | x) against the test label
  figures                    the test codes coloured by label over samples of the prior, the
                             manifold grid (2-D codes), decoder means at prior samples (a row per
                             label for label priors); aae_cat: a row of random styles per category
"""

import jax
import jax.numpy as jnp
import numpy as np

from ae import data
from ae.evaluation import metrics


def cluster_accuracy(assignments, labels, num_clusters: int,
                     num_classes: int | None = None) -> float:
  """Accuracy when every cluster predicts the majority label of its own members (num_classes:
  the largest label + 1 unless given)."""
  assignments, labels = np.asarray(assignments), np.asarray(labels)
  num_classes = int(labels.max()) + 1 if num_classes is None else num_classes
  counts = np.zeros((num_clusters, num_classes), np.int64)
  np.add.at(counts, (assignments, labels), 1)
  return float(counts.max(1).sum() / labels.size)


def label_component_agreement(prior, codes, labels) -> float:
  """The fraction of codes whose nearest part of the prior (`prior.assign`) is their label's."""
  return float(np.mean(np.asarray(prior.assign(jnp.asarray(codes))) == np.asarray(labels)))


def categories(model, state, images) -> np.ndarray:
  """argmax_y q(y | x) of every image (aae_cat), in batches."""
  fn = jax.jit(lambda im: model.categories(state, data.preprocess(im)))
  return np.concatenate([np.asarray(fn(images[i:i + 1000]))
                         for i in range(0, images.shape[0], 1000)])


def evaluation_metrics(model, state, test) -> dict:
  labels = np.asarray(test.labels)
  if model.categorical:
    found = categories(model, state, test.images)
    out = {"categories_used": int(np.unique(found).size)}
    if model.spec.num_classes:
      out["cluster_accuracy"] = cluster_accuracy(found, labels, model.num_categories,
                                                 model.spec.num_classes)
    if model.num_labels:
      out.update(test_accuracy=float(np.mean(found == labels)), num_labels=model.num_labels,
                 label_seed=model.config.data.label_seed)
    return out
  if not model.label_prior:
    return {}
  codes = metrics.Evaluator(model, state).encode(test.images)
  return {"label_component_agreement": label_component_agreement(model.prior, codes, labels)}


def prior_panel(model, state, split, n_prior: int = 5000):
  """(test codes [N, 2], labels [N], prior samples [n_prior, 2]) for `plots.codes_over_prior`."""
  codes = metrics.Evaluator(model, state).encode(split.images)
  prior = jax.jit(model.prior.sample, static_argnums=1)(jax.random.PRNGKey(0), n_prior)
  return np.asarray(codes), np.asarray(split.labels), np.asarray(prior)


def figures(model, state, split) -> dict:
  from ae.evaluation import generative, plots
  names, shape = model.spec.class_names, model.spec.shape
  mean = lambda z: generative.mean_image(model, state, z, None)   # One program (jitted).
  sample = jax.jit(model.prior.sample, static_argnums=1)
  if model.categorical:
    k, n = model.num_categories, 10
    style = sample(jax.random.PRNGKey(0), n)
    rows = [mean(jnp.concatenate([jax.nn.one_hot(jnp.full((n,), c), k), style], -1))
            for c in range(k)]
    return {"categories": plots.image_grid(
        np.stack(rows), f"{model.name}: each category (row) decoded with the same ten random "
        "styles", [f"y = {c}" for c in range(k)], shape=shape)}
  out = {}
  prior_name = model.prior.name.replace("_", " ")
  if model.config.model.latent_dim == 2 and names:
    out["codes_over_prior"] = plots.codes_over_prior(
        {f"{model.name}, {prior_name} prior": prior_panel(model, state, split)}, names,
        f"{model.name}: test codes over samples of the prior")
    kind = "quantile" if model.prior.name == "normal" else "uniform"
    out["manifold"] = generative.manifold(model, state, kind)
  key = jax.random.PRNGKey(1)
  if model.label_prior:
    labels = jnp.repeat(jnp.arange(len(names)), 10)
    z, row_labels = jax.jit(model.prior.sample_given_labels)(key, labels), names
  else:
    z, row_labels = sample(key, 100), None
  out["samples"] = plots.image_grid(np.asarray(mean(z)).reshape(-1, 10, np.shape(mean(z))[-1]),
                                    f"{model.name}: decoder means at samples of the "
                                    f"{prior_name} prior", row_labels, shape=shape)
  return out
