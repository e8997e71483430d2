"""The lecture's figures of a generative model (VAE, CVAE): what its decoder makes of the prior.

  mean_image         the decoder's mean image at codes z (one jitted program per model)
  manifold_grid      codes on a 2-D grid: the prior's quantiles z = Phi^-1(p), p evenly spaced
                     in (0, 1) (as in the VAE paper), or a uniform range (as in the lecture's code)
  samples            decoder means at z ~ N(0, I) (for the CVAE: one row per label)
  interpolation      two test images joined along the latent path (decode the blend of their
                     codes) next to the pixel-space blend (the lecture's "two arms" figure)
  manifold           with a 2-D code, the decoded grid; for the CVAE one grid per label
  analogies          (CVAE) a test image's code decoded with every label; random codes likewise
"""

import functools

import jax
import jax.numpy as jnp
import numpy as np
from jax.scipy.special import ndtri

from ae import data
from ae.evaluation import plots

GRIDS = ("quantile", "uniform")


@functools.partial(jax.jit, static_argnames=("n", "kind", "bound"))
def manifold_grid(n: int = 15, kind: str = "quantile", bound: float = 3.0) -> jnp.ndarray:
  """[n, n, 2] codes; row i runs from high z2 to low, column j from low z1 to high. One
  compiled program: run op by op, the quantile grid cost a process 1.0 s (ndtri's many
  operations each compiled), jitted 0.2 s."""
  if kind == "quantile":
    axis = ndtri(jnp.linspace(0.5 / n, 1 - 0.5 / n, n))
  elif kind == "uniform":
    axis = jnp.linspace(-bound, bound, n)
  else:
    raise ValueError(f"unknown grid {kind!r}; choose one of {', '.join(GRIDS)}.")
  z1, z2 = jnp.meshgrid(axis, axis[::-1])
  return jnp.stack([z1, z2], -1)


@functools.partial(jax.jit, static_argnums=0)
def mean_image(model, state, z, labels):
  """The decoder's mean image at codes z, one compiled program per model and shape."""
  return model.likelihood.mean(model.decode(state, z, labels))


def _labels(n, label):
  return jnp.full((n,), label, jnp.int32)


def manifold(model, state, kind: str = "quantile", n: int | None = None):
  n = n or (8 if model.conditional else 15)   # ten small panels, or one large one
  grid = manifold_grid(n, kind).reshape(-1, 2)
  names = model.spec.class_names
  labels = range(len(names)) if model.conditional else [0]
  panels = {}
  for c in labels:
    key = f"y = {names[c]}" if model.conditional else f"{kind} grid"
    panels[key] = mean_image(model, state, grid, _labels(grid.shape[0], c)).reshape(n, n, -1)
  what = "quantiles of N(0, I)" if kind == "quantile" else "a uniform grid"
  return plots.manifold_panels(panels, f"{model.name}: decoder means over {what}",
                               model.spec.shape)


def interpolation(model, state, split, steps: int = 10):
  labels = np.asarray(split.labels)
  first = 0
  second = int(np.argmax(labels != labels[first]))   # The first image of another class.
  idx = jnp.array([first, second])
  x = data.preprocess(split.images[idx])
  y = split.labels[idx]
  z = model.encode(state, x, y)
  t = jnp.linspace(0, 1, steps)[:, None]
  latent = mean_image(model, state, (1 - t) * z[0] + t * z[1],
                      jnp.where(t[:, 0] < 0.5, y[0], y[1]))
  pixel = (1 - t) * x[0] + t * x[1]
  return plots.image_grid(np.stack([latent, pixel]), f"{model.name}: from one test image to "
                          "another", ["latent path", "pixel blend"],
                          [f"{float(v):.1f}" for v in t[:, 0]], shape=model.spec.shape)


def prior_samples(model, state, n: int, seed: int = 0, batch_size: int = 500) -> np.ndarray:
  """n generated images [n, D] in [0, 1]: decoder means at codes from the model's prior (its
  `prior` where it has one, the adversarial families; N(0, I) otherwise), with uniformly drawn
  labels for the conditional models."""
  classes = max(len(model.spec.class_names), 1)
  rng_z, rng_y = jax.random.split(jax.random.PRNGKey(seed))
  prior = getattr(model, "prior", None)
  if prior is not None:
    z = prior.sample(rng_z, n)
  else:
    z = jax.random.normal(rng_z, (n, model.config.model.latent_dim))
  labels = jax.random.randint(rng_y, (n,), 0, classes)
  return np.concatenate([np.asarray(mean_image(model, state, z[i:i + batch_size],
                                               labels[i:i + batch_size]))
                         for i in range(0, n, batch_size)])


def samples(model, state, n: int = 10, seed: int = 0):
  names = model.spec.class_names
  rows = len(names) if model.conditional else n
  z = jax.random.normal(jax.random.PRNGKey(seed), (rows * n, model.config.model.latent_dim))
  labels = jnp.repeat(jnp.arange(rows), n) % max(len(names), 1)
  images = mean_image(model, state, z, labels).reshape(rows, n, -1)
  return plots.image_grid(images, f"{model.name}: decoder means at z ~ N(0, I)",
                          names if model.conditional else None, shape=model.spec.shape)


def analogies(model, state, split, n: int = 8, seed: int = 0):
  """Rows: a test image (its code, from x and its label) or a random code; columns: decoded
  with each label. The code keeps the style; the label sets the class."""
  names = model.spec.class_names
  x = data.preprocess(split.images[:n])
  z_test = model.encode(state, x, split.labels[:n])
  z_random = jax.random.normal(jax.random.PRNGKey(seed), z_test.shape)
  figures = {}
  for name, z, first in (("analogies", z_test, x), ("analogies_random", z_random, None)):
    cols = [mean_image(model, state, z, _labels(n, c)) for c in range(len(names))]
    grid = jnp.stack(cols, 1)
    col_labels = list(names)
    if first is not None:
      grid = jnp.concatenate([first[:, None], grid], 1)
      col_labels = ["input"] + col_labels
    what = "test images" if first is not None else "random codes"
    figures[name] = plots.image_grid(grid, f"{model.name}: {what} decoded with every label",
                                     None, col_labels, shape=model.spec.shape)
  return figures


def figures(model, state, split) -> dict:
  out = {"samples": samples(model, state), "interpolation": interpolation(model, state, split)}
  if model.config.model.latent_dim == 2:
    out["manifold"] = manifold(model, state)
  if model.conditional:
    out.update(analogies(model, state, split))
  return out
