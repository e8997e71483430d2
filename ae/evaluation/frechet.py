r"""Sample quality without a download: the Fréchet distance between the feature Gaussians of
real and generated images,

  d^2 = ||mu_r - mu_g||^2 + tr(S_r) + tr(S_g) - 2 tr((S_r S_g)^{1/2})

(Dowson & Landau 1982; Heusel et al. 2017 on Inception features, "FID"). tr((S_r S_g)^{1/2})
is computed as the sum of the square roots of the eigenvalues of S_r^{1/2} S_g S_r^{1/2}, a
symmetric positive semi-definite matrix with the same eigenvalues as S_r S_g, in float64.

No package ships Inception's weights (every FID package downloads them), so the features here
come from a small convolutional classifier trained on the dataset itself (`fit_classifier`):
the result is the **Fréchet classifier distance** (FCD), comparable only between models scored
with the same classifier (same data, steps and seed), never with published FIDs. True FID needs
the user's Inception SavedModel (`inception_features`).
"""

from typing import Callable

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import optax

from ae import data


def statistics(features) -> tuple:
  """(mean [F], covariance [F, F]) of features [N, F], in float64 (the unbiased covariance)."""
  f = np.asarray(features, np.float64)
  if f.ndim != 2 or f.shape[0] < 2:
    raise ValueError(f"need features [N >= 2, F]; got shape {f.shape}.")
  return f.mean(0), np.cov(f, rowvar=False)


def _sqrtm_psd(s):
  w, v = np.linalg.eigh((s + s.T) / 2)
  return (v * np.sqrt(np.clip(w, 0, None))) @ v.T


def distance(mu1, cov1, mu2, cov2) -> float:
  """The Fréchet distance d^2 between N(mu1, cov1) and N(mu2, cov2) (the formula above)."""
  mu1, mu2 = np.asarray(mu1, np.float64), np.asarray(mu2, np.float64)
  cov1, cov2 = np.atleast_2d(cov1).astype(np.float64), np.atleast_2d(cov2).astype(np.float64)
  root = _sqrtm_psd(cov1)
  cross = np.sqrt(np.clip(np.linalg.eigvalsh(root @ cov2 @ root), 0, None)).sum()
  return float(((mu1 - mu2) ** 2).sum() + np.trace(cov1) + np.trace(cov2) - 2 * cross)


def feature_distance(real, fake) -> float:
  """The Fréchet distance between the Gaussians fitted to two feature sets [N, F]."""
  return distance(*statistics(real), *statistics(fake))


class Classifier(nn.Module):
  """x [B, D] in [0, 1] -> (features [B, width], logits [B, classes]): two stride-2 4x4
  convolutions (32 and 64 channels, ReLU) and a ReLU layer of `width` features."""
  shape: tuple
  classes: int
  width: int = 128

  @nn.compact
  def __call__(self, x):
    h = x.reshape(x.shape[0], *self.shape)
    for i, c in enumerate((32, 64)):
      h = nn.relu(nn.Conv(c, (4, 4), strides=(2, 2), padding="SAME", name=f"conv_{i}")(h))
    h = h.reshape(x.shape[0], -1)
    features = nn.relu(nn.Dense(self.width, name="features")(h))
    return features, nn.Dense(self.classes, name="logits")(features)


def fit_classifier(train, steps: int = 1000, batch_size: int = 128, seed: int = 0):
  """Trains a Classifier on a labelled Split (Adam 1e-3, cross-entropy, one compiled step per
  batch): returns features(x [B, D] in [0, 1]) -> [B, 128] and accuracy(split) -> float."""
  spec = train.spec
  if not spec.num_classes or not spec.is_image:
    raise ValueError("the Fréchet classifier distance needs labelled images to train its "
                     "classifier on; this data has none (pass an Inception SavedModel instead).")
  module = Classifier(tuple(spec.shape), spec.num_classes)
  rng = jax.random.PRNGKey(seed)
  params = module.init(rng, jnp.zeros((1, spec.num_pixels)))
  tx = optax.adam(1e-3)

  @jax.jit
  def train_step(params, opt_state, x, y):
    def loss(p):
      logits = module.apply(p, x)[1]
      return optax.softmax_cross_entropy_with_integer_labels(logits, y).mean()
    grads = jax.grad(loss)(params)
    updates, opt_state = tx.update(grads, opt_state)
    return optax.apply_updates(params, updates), opt_state

  opt_state = tx.init(params)
  images, labels = np.asarray(train.images), np.asarray(train.labels)
  order = np.random.default_rng(seed)
  for _ in range(steps):
    idx = order.integers(0, train.size, batch_size)
    params, opt_state = train_step(params, opt_state, data.preprocess(images[idx]), labels[idx])
  apply = jax.jit(lambda x: module.apply(params, x))

  def features(x):
    return batched(lambda b: apply(b)[0], x)

  def accuracy(split) -> float:
    logits = batched(lambda b: apply(b)[1], data.preprocess(np.asarray(split.images)))
    return float((logits.argmax(1) == np.asarray(split.labels)).mean())
  return features, accuracy


def batched(fn: Callable, x, batch_size: int = 500) -> np.ndarray:
  """fn over x's rows in batches, concatenated on the host."""
  return np.concatenate([np.asarray(fn(x[i:i + batch_size]))
                         for i in range(0, x.shape[0], batch_size)])


def inception_features(saved_model_dir: str, shape: tuple) -> Callable:
  """features(x [B, D] in [0, 1]) -> [B, F] from the user's TensorFlow SavedModel of Inception
  (its default signature maps images [B, 299, 299, 3] in [-1, 1] to pool features [B, F], as
  the usual FID graphs do). Grey images are repeated to 3 channels."""
  import tensorflow as tf   # Only for true FID: the rest of ae never imports TensorFlow.
  loaded = tf.saved_model.load(saved_model_dir)
  call = loaded.signatures["serving_default"]

  def features(x):
    img = tf.reshape(tf.convert_to_tensor(np.asarray(x, np.float32)), (-1, *shape))
    if shape[-1] == 1:
      img = tf.repeat(img, 3, axis=-1)
    img = tf.image.resize(img, (299, 299), method="bilinear") * 2.0 - 1.0
    out = call(img)
    return np.asarray(next(iter(out.values()))).reshape(img.shape[0], -1)
  return features
