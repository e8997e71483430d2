"""Regression as image-to-image prediction (the lecture's part 5): filling in missing pixels and
removing noise with trained models, scored on the true pixels against two baselines.

A test image x [D] in [0, 1] is split by a mask into observed pixels x_o and missing ones x_m
(`masks`: the bottom half, or each pixel missing with probability `fraction`). Each method
predicts p_m in [0, 1] for the missing pixels:

  mean image      the training images' mean pixel                    (knows nothing of x_o)
  k-NN            the mean of x_m over the k training images nearest to x in the observed
                  pixels (squared distance over x_o only); k = 1 is the pixel-space nearest
                  neighbour
  VAE chain       Rezende, Mohamed and Wierstra (2014), section 5.3: start x_m at the mean
                  image, then repeat z ~ q(z | x_o, x_m), x_m <- E[x_m | z] (the decoder's
                  mean: the images are grey levels, so the chain carries means, not binary
                  samples); p_m is the decoder's mean averaged over the second half of the
                  chain. A conditional model (cvae) runs the same chain given the true label.
  VAE p(x_m|x_o)  the model's own conditional likelihood of the missing pixels, importance-
                  sampled with a mixture of several chains' encoders as the proposal
                  (`vae_conditional`); its squared error is that of its predictive mean. One
                  chain's mean is confident in one completion (a 3 where the digit was a 2),
                  and per-pixel cross-entropy punishes a confident mistake hard.
  autoencoder     one pass of a (denoising) AE with x_m set to 0, the DAE's masking noise

  nll             -log p(x_m | x_o) for the rows "p(x_m given x_o)"; otherwise the sum over the
                  missing pixels of the Bernoulli cross-entropy
                  -[x log p + (1 - x) log(1 - p)], p clipped to [EPS, 1 - EPS], nats per image
                  (grey targets give every method the same floor, sum of the pixels' entropies)
  squared_error   sum over the missing pixels of (x - p)^2, per image

Denoising uses the same scores over every pixel, with x~ = clip(x + sigma eps, 0, 1) as the
input: the noisy image itself and the mean image are the baselines, and each model's
reconstruction of x~ (the VAE's decoder mean at its posterior mean) the prediction.
"""

from typing import Callable

import jax
import jax.numpy as jnp
import numpy as np

from ae.distributions import gaussians

EPS = 1e-4
MASKS = ("bottom_half", "random")


def masks(kind: str, shape: tuple, n: int, fraction: float = 0.5, seed: int = 0) -> np.ndarray:
  """bool [n, D]: True where a pixel is missing. bottom_half: the lower H / 2 rows of every
  image (every channel); random: each pixel independently with probability `fraction`."""
  h, w, c = shape
  if kind == "bottom_half":
    one = np.zeros((h, w, c), bool)
    one[h // 2:] = True
    return np.broadcast_to(one.reshape(-1), (n, h * w * c)).copy()
  if kind == "random":
    return np.random.default_rng(seed).random((n, h * w * c)) < fraction
  raise ValueError(f"unknown mask {kind!r}; choose one of {', '.join(MASKS)}.")


def scores(x, p, missing) -> dict:
  """{"nll", "squared_error"}: means over the images of the sums over their `missing` pixels
  (bool [N, D]; all True for denoising)."""
  x, p, m = (np.asarray(a, np.float64) for a in (x, p, missing))
  q = np.clip(p, EPS, 1 - EPS)
  nll = -(x * np.log(q) + (1 - x) * np.log1p(-q))
  return {"nll": float((nll * m).sum(1).mean()), "squared_error": float(((x - p) ** 2 * m).sum(1).mean())}


def mean_image(train_x, n: int) -> np.ndarray:
  return np.broadcast_to(np.asarray(train_x).mean(0), (n, train_x.shape[1]))


def neighbour_indices(train_x, x, missing, k: int = 10, chunk: int = 500) -> np.ndarray:
  """int [N, k]: the k training images nearest to each test image in its observed pixels,
  nearest first: |o * (x - t)|^2 = sum_o x^2 - 2 (o x) . t + o . t^2 for observed mask o."""
  train = jnp.asarray(train_x, jnp.float32)
  sq = train ** 2

  @jax.jit
  def nearest(xc, oc):
    d = -2.0 * (oc * xc) @ train.T + oc @ sq.T          # + sum_o x^2, the same for every t
    return jax.lax.top_k(-d, k)[1]

  observed = ~np.asarray(missing)
  return np.concatenate([np.asarray(nearest(jnp.asarray(x[i:i + chunk], jnp.float32),
                                            jnp.asarray(observed[i:i + chunk], jnp.float32)))
                         for i in range(0, x.shape[0], chunk)])


def neighbour_means(train_x, idx, ks=(1, 10)) -> dict:
  """{k: [N, D] the mean of the first k of each row's neighbours idx [N, >= max(ks)]}."""
  return {k: np.asarray(train_x)[idx[:, :k]].mean(1) for k in ks}


def nearest_neighbours(train_x, x, missing, ks=(1, 10), chunk: int = 500) -> dict:
  """{k: [N, D] the mean of the k nearest training images (`neighbour_indices`)}."""
  return neighbour_means(train_x, neighbour_indices(train_x, x, missing, max(ks), chunk), ks)


def _chain(model, state, x, missing, start, keys, labels):
  """Rezende et al.'s chain from x_m = start: (the decoder's mean averaged over the second
  half of the steps, the last fill), [B, D] each."""
  def step(carry, key):
    filled, total = carry
    mean, logvar = model.encode_distribution(state, filled, labels)
    z = mean + jnp.exp(0.5 * logvar) * jax.random.normal(key, mean.shape)
    p = model.likelihood.mean(model.decode(state, z, labels))
    return (jnp.where(missing, p, x), total + p), None

  burn = len(keys) // 2
  (filled, _), _ = jax.lax.scan(step, (jnp.where(missing, start, x), jnp.zeros_like(x)),
                                keys[:burn])
  (filled, total), _ = jax.lax.scan(step, (filled, jnp.zeros_like(x)), keys[burn:])
  return total / (len(keys) - burn), filled


def _batches(fn, arrays, labels, batch_size, rng):
  outs = []
  for i in range(0, arrays[0].shape[0], batch_size):
    sl = slice(i, i + batch_size)
    lb = None if labels is None else jnp.asarray(labels[sl])
    outs.append(fn(*(jnp.asarray(a[sl]) for a in arrays), lb, jax.random.fold_in(rng, i)))
  return [np.concatenate([np.asarray(o[j]) for o in outs]) for j in range(len(outs[0]))]


def vae_chain(model, state, x, missing, start, rng, iterations: int = 50, labels=None,
              batch_size: int = 1000) -> np.ndarray:
  """The chain's decoder means of the missing pixels averaged over its second half ([N, D]
  of which only the missing pixels matter; the observed ones are x's own)."""
  @jax.jit
  def run(xb, mb, sb, lb, key):
    return _chain(model, state, xb, mb, sb, jax.random.split(key, iterations), lb)[:1]
  return _batches(run, (x, missing, start), labels, batch_size, rng)[0]


def vae_conditional(model, state, x, missing, starts, rng, iterations: int = 50,
                    samples: int = 20, labels=None, batch_size: int = 50,
                    widen: float = 1.0):
  """(-log p(x_m | x_o) [N], the predictive mean E[x_m | x_o] [N, D]) under the VAE, by
  importance sampling with the chains as the proposal:

    p(x_m | x_o) = E_{p(z | x_o)}[p(x_m | z)],  p(z | x_o) ~ p(z) p(x_o | z)
    ~= sum_i w_i p(x_m | z_i) / sum_i w_i,  w_i = p(z_i) p(x_o | z_i) / r(z_i),
    r(z) = (1 / C) sum_c q(z | x^_c)

  where x^_c is the last fill of chain c, started from starts[:, c] ([N, C, D]: such as the
  missing pixels of the C nearest training images), with `samples` draws from each component.
  A mixture over chains from different completions keeps the several a half digit allows (a 3
  or a 2), where one chain settles in one of them; the joint p(x_m | z) of the Bernoulli
  decoder scores all the missing pixels at once, each from its own logit (no clipping).
  Self-normalized, so consistent but biased low for a finite C * samples (the estimated
  likelihood too small): the encoder's q is narrower than p(z | x_o), and widen > 1 broadens
  each component toward it. On 300 MNIST test images (bottom half) with widen = 1 the estimate
  of -log p(x_m | x_o) fell from 91.1 to 84.6 to 80.7 nats for 20, 200 and 1000 samples per
  chain; widen = 1.5 and 2.5 gave 77.4 and 76.8 at 200."""
  @jax.jit
  def run(xb, mb, sb, lb, key):
    b, chains = xb.shape[0], sb.shape[1]
    tile = lambda a: None if a is None else jnp.tile(a, (chains,) + (1,) * (a.ndim - 1))
    keys = jax.random.split(key, iterations + 1)
    sb = jnp.swapaxes(sb, 0, 1).reshape(chains * b, -1)   # chain-major, as tile
    _, fills = _chain(model, state, tile(xb), tile(mb), sb, keys[1:], tile(lb))
    mean, logvar = model.encode_distribution(state, fills, tile(lb))
    mean = mean.reshape(chains, b, -1)
    logvar = logvar.reshape(chains, b, -1) + 2.0 * np.log(widen)
    eps = jax.random.normal(keys[0], (chains, samples) + mean.shape[1:])
    z = (mean[:, None] + jnp.exp(0.5 * logvar[:, None]) * eps).reshape(chains * samples, b, -1)
    log_r = jax.nn.logsumexp(gaussians.log_normal(z[:, None], mean[None], logvar[None]),
                             axis=1) - np.log(chains)
    lz = None if lb is None else jnp.tile(lb, chains * samples)
    logits = model.decode(state, z.reshape(chains * samples * b, -1), lz).reshape(
        chains * samples, b, -1)
    log_px = xb * jax.nn.log_sigmoid(logits) + (1 - xb) * jax.nn.log_sigmoid(-logits)
    log_w = (gaussians.log_standard_normal(z) + jnp.sum(jnp.where(mb, 0.0, log_px), -1)
             - log_r)
    log_pm = jnp.sum(jnp.where(mb, log_px, 0.0), -1)
    nll = jax.nn.logsumexp(log_w, 0) - jax.nn.logsumexp(log_w + log_pm, 0)
    weights = jax.nn.softmax(log_w, axis=0)
    return nll, jnp.einsum("sb,sbd->bd", weights, jax.nn.sigmoid(logits))
  return tuple(_batches(run, (x, missing, starts), labels, batch_size, rng))


def one_pass(predict: Callable, x_in, batch_size: int = 1000) -> np.ndarray:
  """predict(x [B, D]) -> [B, D] means over batches: an autoencoder's reconstruction."""
  fn = jax.jit(predict)
  return np.concatenate([np.asarray(fn(jnp.asarray(x_in[i:i + batch_size])))
                         for i in range(0, x_in.shape[0], batch_size)])


def gaussian_noise(x, sigma: float, seed: int = 0) -> np.ndarray:
  """clip(x + sigma eps, 0, 1), eps ~ N(0, I) with a fixed seed."""
  eps = np.random.default_rng(seed).standard_normal(x.shape)
  return np.clip(x + sigma * eps, 0.0, 1.0).astype(np.float32)


def markdown_table(result: dict) -> str:
  """imputation.json's tasks as one Markdown table: a row per method, nll and squared error
  per task (README.md shows it; tests/test_readme_results.py regenerates it)."""
  tasks = list(result["tasks"])
  methods = list(dict.fromkeys(m for t in tasks for m in result["tasks"][t]))
  head = "| method | " + " | ".join(f"{t}: nll | {t}: squared error" for t in tasks) + " |"
  lines = [head, "|---" * (1 + 2 * len(tasks)) + "|"]
  for m in methods:
    cells = []
    for t in tasks:
      score = result["tasks"][t].get(m)
      cells += ([f"{score['nll']:.2f}", f"{score['squared_error']:.2f}"] if score else ["", ""])
    lines.append(f"| {m} | " + " | ".join(cells) + " |")
  return "\n".join(lines)
