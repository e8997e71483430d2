"""What a trained autoencoder is worth: reconstruction NLL, and its codes for retrieval.

  Evaluator            a model's codes (`encode`) and its `reconstruction_nll`: the mean over
                       the test set of -log p(x | g(f(x))), nats per example
  knn_accuracy         classify each test code by majority vote of its k nearest train codes
                       (Euclidean; ties in the vote go to the smallest label)
  linear_probe         multinomial logistic regression on standardized codes (L-BFGS, L2 1e-4)
"""

import functools

import jax
import jax.numpy as jnp

from ae import data
from ae.foundations import descent, nll


def _batched(fn, x, batch_size: int):
  """fn applied to x (a pytree of [N, ...] arrays) in batches of batch_size (the last one may be
  smaller)."""
  n = jax.tree.leaves(x)[0].shape[0]
  parts = [fn(jax.tree.map(lambda a: a[i:i + batch_size], x)) for i in range(0, n, batch_size)]
  return jax.tree.map(lambda *p: jnp.concatenate(p), *parts)


class Evaluator:
  """A trained model's codes and reconstruction NLL, each compiled once per batch shape.

  model is an `ae.models.base.Model`; images are uint8 [N, 28, 28, 1], preprocessed by
  `ae.data.preprocess` as in training (no dynamic binarization).
  """

  def __init__(self, model, state, batch_size: int = 1000):
    self.model, self.state, self.batch_size = model, state, batch_size
    self._encode = jax.jit(lambda st, im, y: model.encode(st, data.preprocess(im), y))
    self._nll = jax.jit(lambda st, im, y: model.likelihood.nll(
        data.preprocess(im), model.reconstruct(st, data.preprocess(im), y)))

  def _labels(self, images, labels):
    return jnp.zeros(images.shape[0], jnp.int32) if labels is None else labels

  def encode(self, images, labels=None) -> jnp.ndarray:
    """Codes [N, k] (posterior means for a VAE; conditional models use the labels)."""
    both = (images, self._labels(images, labels))
    return _batched(lambda b: self._encode(self.state, *b), both, self.batch_size)

  def reconstruction_nll(self, images, labels=None) -> float:
    """Mean per-example -log p(x | g(f(x))), in nats."""
    both = (images, self._labels(images, labels))
    return float(_batched(lambda b: self._nll(self.state, *b), both, self.batch_size).mean())


@functools.partial(jax.jit, static_argnames=("k",))
def _nearest(index, queries, k: int):
  d2 = (jnp.sum(queries ** 2, 1)[:, None] - 2 * queries @ index.T + jnp.sum(index ** 2, 1)[None])
  return jax.lax.top_k(-d2, k)[1]


def nearest_neighbours(index, queries, k: int, chunk: int = 1000) -> jnp.ndarray:
  """Indices [Q, k] of the k nearest rows of index for each query, nearest first."""
  return jnp.concatenate([_nearest(index, queries[i:i + chunk], k)
                          for i in range(0, queries.shape[0], chunk)])


def knn_accuracy(train_codes, train_labels, test_codes, test_labels, ks=(1, 5),
                 num_classes: int = 10) -> dict:
  """{k: accuracy} of majority-vote kNN classification with the train codes as the index."""
  neighbours = nearest_neighbours(train_codes, test_codes, max(ks))
  out = {}
  for k in ks:
    votes = jax.nn.one_hot(train_labels[neighbours[:, :k]], num_classes).sum(axis=1)
    out[k] = float(jnp.mean(jnp.argmax(votes, axis=1) == test_labels))
  return out


def linear_probe(train_codes, train_labels, test_codes, test_labels, steps: int = 200,
                 l2: float = 1e-4, num_classes: int = 10) -> float:
  """Test accuracy of a multinomial logistic regression fitted on the train codes."""
  mean, std = train_codes.mean(0), train_codes.std(0) + 1e-6
  xtr, xte = (train_codes - mean) / std, (test_codes - mean) / std
  params = {"w": jnp.zeros((xtr.shape[1], num_classes)), "b": jnp.zeros((num_classes,))}

  def loss(p):
    logits = xtr @ p["w"] + p["b"]
    return nll.categorical_nll(train_labels, logits).mean() + l2 * jnp.sum(p["w"] ** 2)

  params, _ = descent.minimize_lbfgs(loss, params, steps)
  return float(jnp.mean(jnp.argmax(xte @ params["w"] + params["b"], 1) == test_labels))

