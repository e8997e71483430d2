"""The figures every training run gets, from any model family through its interface:
reconstructions, the test codes coloured by label (2-D codes only), the learning curves of the
family's metrics, and whatever `model.figures` adds (the DAE's denoising)."""

import functools

import jax
import numpy as np

from ae import data
from ae.evaluation import metrics, plots


@functools.partial(jax.jit, static_argnums=0)
def _reconstruction_means(model, state, images, labels):
  """(inputs, reconstruction means) of a few images, as one compiled program."""
  x = data.preprocess(images)
  return x, model.likelihood.mean(model.reconstruct(state, x, labels))


def run_figures(model, state, history: list, test_split) -> dict:
  """{name: matplotlib Figure}; save each as NAME.png."""
  config = model.config
  x, means = _reconstruction_means(model, state, test_split.images[:10], test_split.labels[:10])
  figures = {"reconstructions": plots.image_rows(
      {"input": x, "reconstruction": means},
      f"{model.name} on {config.data.dataset}, latent {config.model.latent_dim}",
      model.spec.shape)}
  if config.model.latent_dim == 2 and model.spec.num_classes:
    codes = metrics.Evaluator(model, state).encode(test_split.images, test_split.labels)
    figures["latent"] = plots.latent_scatter(codes, np.asarray(test_split.labels),
                                             model.spec.class_names,
                                             f"{model.name}: test codes")
  figures["learning_curves"] = plots.learning_curves(history, model.metric_names)
  figures.update(model.figures(state, test_split))
  return figures
