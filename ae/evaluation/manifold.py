"""The manifold-learning chapter: why an encoder is a manifold learner.

  pca                     the top-k principal subspace: the right singular vectors of the
                          centred data X - mean (X = U S V^T); variances S^2 / n
  principal_angles        between span(A) and span(B): theta_i = arccos(sigma_i(Qa^T Qb)), with
                          Qa, Qb orthonormal bases (QR); 0 when the subspaces agree
  train_linear_autoencoder  min_{W, V} 1/(2n) ||X - X W V||_F^2 on centred X by Adam. Baldi and
                          Hornik: every local minimum spans the top-k principal subspace (V's rows
                          span it), though W and V themselves are any invertible mix of it
  train_linear_autoencoder_als  the same loss by alternating exact minimization: W given V, then
                          V given W (each a least-squares problem), to its closed-form optimum
  linear_ae_optimum       that optimum, 1/2 sum_{i>k} lambda_i: the check of convergence
  knn_label_agreement     the fraction of each point's k nearest neighbours (itself excluded)
                          that share its label; leave-one-out kNN accuracy by majority vote
  embed                   2-D embeddings by scikit-learn (PCA, Isomap, LLE, t-SNE), timed
"""

import time
import warnings

import jax
import jax.numpy as jnp
import numpy as np

from ae.evaluation import metrics

CLASSIC = ("pca", "isomap", "lle", "tsne")
# What each method can do besides embedding the points it was fitted on (scikit-learn's API).
EMBEDS_NEW_POINTS = {"pca": True, "isomap": True, "lle": True, "tsne": False}
DECODES_BACK = {"pca": True, "isomap": False, "lle": False, "tsne": False}


def pca(x, k: int):
  """(mean [D], components [k, D] orthonormal, variances [k]) of data x [n, D]."""
  x = jnp.asarray(x, jnp.float32)
  mean = x.mean(0)
  _, s, vt = jnp.linalg.svd(x - mean, full_matrices=False)
  return mean, vt[:k], (s[:k] ** 2) / x.shape[0]


def principal_angles(a, b) -> np.ndarray:
  """Principal angles in degrees, smallest first, between span(a) and span(b); a, b [D, k]."""
  qa, _ = np.linalg.qr(np.asarray(a, np.float64))
  qb, _ = np.linalg.qr(np.asarray(b, np.float64))
  cosines = np.clip(np.linalg.svd(qa.T @ qb, compute_uv=False), -1.0, 1.0)
  return np.degrees(np.arccos(cosines))   # cosines descend, so angles ascend


def reconstruction_error(x_centred, encoder, decoder) -> float:
  """Mean per-example squared error 1/n sum ||x - x W V||^2 (twice the Gaussian NLL with sigma
  = 1, less its constant)."""
  residual = x_centred - (x_centred @ encoder) @ decoder
  return float(jnp.mean(jnp.sum(residual ** 2, axis=1)))


def train_linear_autoencoder(x_centred, k: int, steps: int = 6000, learning_rate: float = 1e-2,
                             seed: int = 0):
  """(W [D, k], V [k, D], losses) minimizing 1/(2n) ||X - X W V||_F^2 by full-batch Adam, its
  rate decayed to 0 by a cosine over `steps`, in one jitted scan. (L-BFGS was tried first: from
  a small random start it crawled, 4000 iterations in float64 still 1% above the optimum.) How
  closely V's span meets the principal subspace depends on the eigen-gap lambda_k - lambda_k+1:
  the loss changes by only sin^2(theta) times that gap when the subspace tilts by theta."""
  import optax
  x = jnp.asarray(x_centred, jnp.float32)
  d = x.shape[1]
  k1, k2 = jax.random.split(jax.random.PRNGKey(seed))
  params = {"w": jax.random.normal(k1, (d, k)) / np.sqrt(d),
            "v": jax.random.normal(k2, (k, d)) / np.sqrt(k)}
  loss = lambda p: 0.5 * jnp.mean(jnp.sum((x - (x @ p["w"]) @ p["v"]) ** 2, axis=1))
  tx = optax.adam(optax.cosine_decay_schedule(learning_rate, steps))

  @jax.jit
  def run(params):
    def body(carry, _):
      p, state = carry
      value, grad = jax.value_and_grad(loss)(p)
      updates, state = tx.update(grad, state, p)
      return (optax.apply_updates(p, updates), state), value
    (params, _), losses = jax.lax.scan(body, (params, tx.init(params)), None, length=steps)
    return params, losses

  params, losses = run(params)
  return params["w"], params["v"], losses


def knn_label_agreement(points, labels, k: int = 5) -> dict:
  """{"agreement": mean fraction of the k nearest neighbours with the point's label,
  "knn_accuracy": leave-one-out majority-vote accuracy}; Euclidean, the point itself excluded."""
  points = jnp.asarray(points, jnp.float32)
  labels = np.asarray(labels)
  neighbours = np.asarray(metrics.nearest_neighbours(points, points, k + 1))
  own = np.arange(len(labels))[:, None]
  # Drop the point itself (ties at distance 0 may put a duplicate first: drop one index only).
  is_self = neighbours == own
  keep = np.where(is_self.any(1, keepdims=True), ~is_self, np.arange(k + 1)[None] < k)
  neighbours = neighbours[keep].reshape(len(labels), k)
  same = labels[neighbours] == labels[:, None]
  votes = np.stack([np.bincount(row, minlength=labels.max() + 1) for row in labels[neighbours]])
  return {"agreement": float(same.mean()),
          "knn_accuracy": float(np.mean(votes.argmax(1) == labels))}


def embed(x, method: str, seed: int = 0, neighbours: int = 10):
  """(embedding [n, 2], seconds) of x [n, D] by a classic method from scikit-learn."""
  from sklearn import decomposition, manifold
  x = np.asarray(x, np.float64)
  makers = {
      "pca": lambda: decomposition.PCA(2, random_state=seed),
      "isomap": lambda: manifold.Isomap(n_neighbors=neighbours, n_components=2),
      "lle": lambda: manifold.LocallyLinearEmbedding(n_neighbors=neighbours, n_components=2,
                                                     random_state=seed),
      "tsne": lambda: manifold.TSNE(2, init="pca", random_state=seed, perplexity=30.0),
  }
  if method not in makers:
    raise ValueError(f"unknown embedding {method!r}; choose one of {', '.join(CLASSIC)}.")
  start = time.perf_counter()
  with warnings.catch_warnings():   # LLE's sparse-matrix efficiency notes: noise here.
    warnings.simplefilter("ignore", category=UserWarning)
    out = makers[method]().fit_transform(x)
  return out, time.perf_counter() - start


def trustworthiness(x, embedding, neighbours: int = 5) -> float:
  """scikit-learn's trustworthiness: 1 when the embedding's neighbourhoods hold no intruders."""
  from sklearn.manifold import trustworthiness as tw
  return float(tw(np.asarray(x, np.float64), np.asarray(embedding, np.float64),
                  n_neighbors=neighbours))


def linear_ae_optimum(x_centred, k: int) -> float:
  """The smallest value of 1/(2n) ||X - X W V||_F^2 over rank-k W V: half the variance outside
  the top-k principal subspace, 1/2 sum_{i>k} lambda_i (Eckart-Young), in float64."""
  x = np.asarray(x_centred, np.float64)
  s = np.linalg.svd(x, compute_uv=False)
  return float(0.5 * np.sum(s[k:] ** 2) / x.shape[0])


def train_linear_autoencoder_als(x_centred, k: int, max_steps: int = 6000,
                                 tol: float = 1e-9, seed: int = 0):
  """(W [D, k], V [k, D], losses, steps) minimizing L(W, V) = 1/(2n) ||X - X W V||_F^2 by
  alternating exact minimization, in float64 on the host (C = X^T X / n):

    W given V:  C W (V V^T) = C V^T  is solved by  W = V^T (V V^T)^-1
    V given W:  V = (W^T C W)^-1 W^T C   (least squares of X on the codes Z = X W)

  With V's rows kept orthonormal (W V is unchanged by V -> A V, W -> W A^-1, so this is a
  reparametrization of the same autoencoder, not another model) the pair is W = V^T and
  V <- orth(V C): the rows' span moves like subspace iteration, and the angle to the top-k
  principal subspace shrinks by lambda_k+1 / lambda_k a step. Stops when the loss is within
  `tol` (relative) of its closed-form optimum `linear_ae_optimum`, or after max_steps."""
  x = np.asarray(x_centred, np.float64)
  n, d = x.shape
  c = x.T @ x / n
  optimum = linear_ae_optimum(x, k)
  v = np.random.default_rng(seed).standard_normal((k, d))
  losses, step = [], 0
  for step in range(1, max_steps + 1):
    q, _ = np.linalg.qr(c @ v.T)            # V given W = V^T, then orthonormal rows
    v = q.T
    loss = 0.5 * (np.trace(c) - np.trace(v @ c @ v.T))   # L(V^T, V) for orthonormal V
    losses.append(loss)
    if loss - optimum <= tol * max(optimum, 1e-30):
      break
  return v.T, v, np.asarray(losses), step
