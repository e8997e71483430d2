"""What a trained autoencoder is worth: reconstruction NLL, and its codes for retrieval.

  reconstruction_nll   mean over the test set of -log p(x | g(f(x))), nats per example
  knn_accuracy         classify each test code by majority vote of its k nearest train codes
                       (Euclidean; ties in the vote go to the smallest label)
  linear_probe         multinomial logistic regression on standardized codes (L-BFGS, L2 1e-4)
"""

import functools

import jax
import jax.numpy as jnp
from ae import data, descent, likelihoods, nll


def _batched(fn, x, batch_size: int):
  """fn applied to x [N, ...] in batches of batch_size (the last one may be smaller)."""
  parts = [fn(x[i:i + batch_size]) for i in range(0, x.shape[0], batch_size)]
  return jax.tree.map(lambda *p: jnp.concatenate(p), *parts)


@functools.partial(jax.jit, static_argnums=0)
def _encode_batch(model, params, images):
  return model.apply(params, data.to_float(images), method=model.encode)


def encode(model, params, images, batch_size: int = 1000) -> jnp.ndarray:
  """Codes [N, k] of uint8 images [N, D]; compiled once per model and batch shape."""
  return _batched(lambda x: _encode_batch(model, params, x), images, batch_size)


def reconstruct(model, params, images) -> jnp.ndarray:
  """Raw decoder outputs for uint8 images [N, D]."""
  return model.apply(params, data.to_float(images))["outputs"]


def reconstruction_nll(model, params, likelihood: likelihoods.Likelihood, images,
                       batch_size: int = 1000) -> float:
  """Mean per-example -log p(x | g(f(x))) of uint8 images [N, D], in nats."""
  fn = jax.jit(lambda x: likelihood.nll(data.to_float(x), reconstruct(model, params, x)))
  return float(_batched(fn, images, batch_size).mean())


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

