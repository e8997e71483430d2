"""When training has diverged: the rule, stated once.

An epoch has diverged when any of these holds:

1. a training step's loss was NaN or infinite (counted inside the compiled epoch, with no host
   sync per step); with `config.train.skip_nonfinite_updates` such steps are skipped instead
   (their update is not applied; `train_skipped_updates` counts them), and only an epoch in
   which every step was skipped has diverged;
2. a test metric is NaN or infinite;
3. the epoch's mean reconstruction NLL (the family's `reconstruction_metric`) is finite but has
   blown up: it exceeds

       threshold = train.divergence_factor * max(|NLL of the mean image|, D nats),

   where the mean image predicts every pixel by its mean over the training images (for a
   Bernoulli likelihood the logits of those means, for a Gaussian with learned sigma also each
   pixel's standard deviation; for the 8-bit likelihoods each pixel's histogram, or a logistic
   of each pixel's mean and spread), its NLL is averaged over (up to 10,000) training images, and D
   is the number of pixels. A model that learned nothing at all scores the mean image's NLL;
   the D-nats floor keeps the threshold meaningful when that NLL is near zero or negative
   (Gaussian likelihoods). With the default factor 10 a Bernoulli model on Fashion-MNIST is
   stopped above 7,840 nats per example, where every healthy run is below 600 after its first
   epoch, and a learning rate of 1000 (about 1e31 nats) is stopped in its first epoch.

The loop raises `ae.errors.DivergedError` before that epoch is checkpointed or recorded, so the
last good checkpoint stays, and writes `diverged.json` to the workdir; `evaluate` refuses such a
run and `report` marks it.
"""

import math

import jax
import jax.numpy as jnp
import numpy as np

from ae import data
from ae.distributions import eight_bit, likelihoods
from ae.errors import DivergedError

MARKER = "diverged.json"
REFERENCE_IMAGES = 10_000


def mean_image_outputs(likelihood_name: str, x: np.ndarray, components: int = 1) -> jnp.ndarray:
  """The decoder outputs [1, k D] that predict the per-pixel mean (and spread) of images x."""
  mean = x.mean(0, keepdims=True)
  if likelihood_name == "bernoulli":
    p = np.clip(mean, 1e-4, 1 - 1e-4)
    return jnp.asarray(np.log(p) - np.log1p(-p), jnp.float32)
  if likelihood_name == "gaussian":
    return jnp.asarray(mean, jnp.float32)
  if likelihood_name == "gaussian_learned":   # raw scale such that the bounded scale is the std.
    floor = math.log(likelihoods.SIGMA_MIN)
    log_std = np.log(np.maximum(x.std(0, keepdims=True), 2 * likelihoods.SIGMA_MIN))
    raw = floor + np.log(np.expm1(log_std - floor))
    return jnp.asarray(np.concatenate([mean, raw], -1), jnp.float32)
  if likelihood_name == "categorical256":   # each pixel's histogram, one count added per value
    values = np.round(x * 255).astype(np.int64)
    counts = np.stack([(values == v).sum(0) for v in range(eight_bit.NUM_VALUES)]) + 1.0
    return jnp.asarray(np.log(counts / counts.sum(0)).reshape(1, -1), jnp.float32)
  if likelihood_name == "discretized_logistic":   # each component: the pixel's logistic
    k = components
    v = 2 * x - 1
    s = np.maximum(v.std(0, keepdims=True) * math.sqrt(3) / math.pi, 2 * math.exp(
        eight_bit.LOG_SCALE_MIN))
    raw = eight_bit.LOG_SCALE_MIN + np.log(np.expm1(np.log(s) - eight_bit.LOG_SCALE_MIN))
    blocks = [np.zeros_like(s)] * k + [v.mean(0, keepdims=True)] * k + [raw] * k
    return jnp.asarray(np.concatenate(blocks, -1), jnp.float32)
  raise ValueError(f"unknown likelihood {likelihood_name!r}")


def mean_image_nll(model, images) -> float:
  """The NLL (nats per example) of the mean-image predictor under `model.likelihood`, on up to
  REFERENCE_IMAGES training images (binarized once when the model trains on binary images)."""
  images = np.asarray(images[:REFERENCE_IMAGES])
  mode = "fixed" if model.config.data.binarize != "none" else "none"
  x = np.asarray(data.preprocess(images, mode), np.float64)
  outputs = mean_image_outputs(model.likelihood.name, x, model.config.model.mixture_components)
  nll = jax.jit(model.likelihood.nll)(jnp.asarray(x, jnp.float32),
                                      jnp.broadcast_to(outputs, (x.shape[0], outputs.shape[1])))
  return float(jnp.mean(nll))


def threshold(reference_nll: float, num_pixels: int, factor: float) -> float:
  return factor * max(abs(reference_nll), float(num_pixels))


def check(epoch: int, train: dict, test: dict, metric: str, limit: float, steps: int,
          skipping: bool) -> None:
  """Raises DivergedError when the epoch's metrics break the rule above."""
  bad_steps = int(train.get("skipped_updates" if skipping else "nonfinite_steps", 0))
  if skipping and bad_steps >= steps:
    raise DivergedError(epoch, float("nan"), f"the loss was not finite in any of its {steps} "
                        "steps, so every update was skipped")
  if not skipping and (bad_steps or not math.isfinite(train["loss"])):
    raise DivergedError(epoch, train["loss"], f"the train loss was not finite in "
                        f"{max(bad_steps, 1)} of its {steps} steps")
  for name, value in test.items():
    if not math.isfinite(value):
      raise DivergedError(epoch, value, f"the test {name} became {value}")
  value = train[metric]
  if not math.isfinite(value) or value > limit:
    raise DivergedError(epoch, value, f"the train {metric} reached {value:.4g} nats, above "
                        f"the divergence threshold of {limit:.4g} nats (the divergence factor "
                        "times the larger of the mean image's NLL and 1 nat per pixel)")
