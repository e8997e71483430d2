"""The Parzen-window (Gaussian kernel) density estimate, the lecture's last density estimator of
the manifold chapter and the adversarial AE paper's metric:

  p_hat(x) = 1/n sum_i N(x; c_i, sigma^2 I),
  log p_hat(x) = logsumexp_i(-||x - c_i||^2 / (2 sigma^2)) - log n - (D / 2) log(2 pi sigma^2)

The bandwidth sigma is chosen to maximize the mean log p_hat of held-out points. With n samples
from p it converges to log p(x) as n grows and sigma shrinks, but slowly: in D dimensions the
bias falls like sigma^2 and the variance like 1 / (n sigma^D), so in 784 dimensions no feasible n
gets close (Theis et al. 2016). Distances are computed in chunks by matmuls.
"""

import math

import jax
import jax.numpy as jnp
import numpy as np


@jax.jit
def _sq_distances(x, centres):
  return (jnp.sum(x ** 2, 1)[:, None] - 2 * x @ centres.T + jnp.sum(centres ** 2, 1)[None])


def log_density(x, centres, sigma: float, chunk: int = 1000) -> np.ndarray:
  """log p_hat(x) per row of x [N, D], from kernel centres [n, D]; float64 on the host."""
  x = jnp.asarray(x, jnp.float32)
  centres = jnp.asarray(centres, jnp.float32)
  n, d = centres.shape
  out = []
  for i in range(0, x.shape[0], chunk):
    d2 = jnp.maximum(_sq_distances(x[i:i + chunk], centres), 0.0)
    out.append(np.asarray(jax.nn.logsumexp(-d2 / (2 * sigma ** 2), axis=1), np.float64))
  return (np.concatenate(out) - math.log(n) - 0.5 * d * math.log(2 * math.pi * sigma ** 2))


def select_bandwidth(centres, validation, sigmas) -> tuple[float, np.ndarray]:
  """(the sigma of `sigmas` with the highest mean held-out log p_hat, all the means)."""
  means = np.array([log_density(validation, centres, s).mean() for s in sigmas])
  return float(sigmas[int(np.argmax(means))]), means
