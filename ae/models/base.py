"""The interface every model family implements: subclass `Model`, register it by name.

A family is built from a validated config and the data's `ae.data.Spec` (`Model(config,
spec)`: the image shape and the class names, which travel with the data and are never assumed)
and then carries every derived object with it, built once: its Flax module(s), the decoder's
distribution (`self.likelihood`), the optimizer. The training core only ever talks to this interface:

  config_sections(name)   class method: the family's own config section(s) and their defaults
  validate(config)        class method: checks the family's section; raises ConfigError
  attach_training_data(split)   called by the loop before init_state: the training split's size
                          (steps per epoch, for schedules) and any statistic a family initialises
                          from (the VAE's output bias)
  init_state(rng)         the whole train state: every parameter and optimizer state (the core
                          calls it under one jax.jit, so it is initialised in one compiled call);
                          it has a `step` counter
  loss(params, batch, rng, train, step) -> (loss, metrics)   the objective of the default step;
                          `step` is the state's step counter (for warm-ups), None in evaluation
  train_step()            (state, batch, rng) -> (state, metrics). By default one gradient step
                          on `loss`; a family with several updates (an adversarial AE) overrides it
  eval_step(state, batch, rng) -> metrics              by default `loss` with train=False
  metric_names            the keys of the metrics above, in display order; `headline` is the one
                          progress lines show; `reconstruction_metric` the reconstruction NLL
                          that the divergence rule (ae.training.divergence) watches
  encode(state, x, labels) / decode(state, z, labels) / reconstruct(state, x, labels)
                          for evaluation and figures (labels matter to conditional models only)
  log_importance_weights(state, x, labels, rng, k) -> [k, B]   log p(x, z) - log q(z | x) for
                          k samples z ~ q(z | x); families with a likelihood model of x define it
                          (the importance-sampled test NLL); None otherwise
  evaluation_metrics(state, train, test) -> dict   the family's own results for eval.json (the
                          AAE's label_component_agreement, test_accuracy, cluster_accuracy)
  summary_images(state, split) -> {name: [H, W, C] in [0, 1]}  TensorBoard images each epoch
  figures(state, split) -> {name: Figure}              figures of the family's own (optional)

A batch is {"image": uint8 [B, H, W, C], "label": int32 [B]}; `self.inputs` turns its images
into model inputs (flat [B, D], D = H W C) with `ae.data.preprocess`, the one preprocessing
path; the networks (ae.models.networks) reshape them where they convolve.
"""

from typing import Callable

import jax
import jax.numpy as jnp
import optax
from flax.training import train_state

from ae import data
from ae.distributions import likelihoods
from ae.models import networks

TrainState = train_state.TrainState


def learning_rate_schedule(base: float, schedule: str, steps_per_epoch: int):
  """constant: base. burda_stages (Burda et al.): stage i = 0, 1, ..., 7 lasts 3^i epochs at
  base * 10^(-i/7); stage i starts at epoch (3^i - 1) / 2."""
  if schedule == "constant":
    return base

  def rate(step):
    epoch = step // steps_per_epoch
    stage = sum((epoch >= (3 ** i - 1) // 2).astype(jnp.float32) for i in range(1, 8))
    return base * 10.0 ** (-stage / 7.0)
  return rate


class Model:
  """Base class of the model families; see the module docstring for the interface."""
  metric_names: tuple = ("loss",)
  headline: str = "loss"
  reconstruction_metric: str = "loss"

  log_importance_weights = None
  conditional = False        # True when encode/decode need the label

  def __init__(self, config, spec: data.Spec):
    self.config = config
    self.name = config.model.name
    self.spec = spec
    self.num_pixels = spec.num_pixels
    self.likelihood = likelihoods.get(config.model.likelihood, config.model.sigma,
                                      config.model.mixture_components)
    self.dtype = networks.compute_dtype(config)   # None (float32) or jnp.bfloat16
    self.steps_per_epoch = 1

  def attach_training_data(self, split) -> None:
    self.steps_per_epoch = max(1, split.size // self.config.train.batch_size)

  # --------------------------------------------------------------------------- config

  @classmethod
  def config_sections(cls, name: str) -> dict:
    """{section: {field: default}} that model `name` adds to the config."""
    del name
    return {}

  @classmethod
  def validate(cls, config) -> None:
    del config

  # --------------------------------------------------------------------------- state

  def optimizer(self) -> optax.GradientTransformation:
    """config.train's optimizer (Adam with its eps, or Adagrad) at its learning rate and
    schedule; with weight_decay > 0, weight_decay * theta is added to each gradient first: the
    gradient of -log N(theta; 0, I) / N with weight_decay = 1 / N (Kingma & Welling's prior on
    the weights, per example)."""
    t = self.config.train
    rate = learning_rate_schedule(t.learning_rate, t.schedule, self.steps_per_epoch)
    tx = optax.adagrad(rate) if t.optimizer == "adagrad" else optax.adam(rate, eps=t.adam_eps)
    if t.weight_decay:
      tx = optax.chain(optax.add_decayed_weights(t.weight_decay), tx)
    return tx

  def init_params(self, rng: jax.Array):
    raise NotImplementedError

  def init_state(self, rng: jax.Array):
    """One parameter tree and one optimizer by default; override for several."""
    return TrainState.create(apply_fn=None, params=self.init_params(rng), tx=self.optimizer())

  # --------------------------------------------------------------------------- steps

  def inputs(self, batch: dict, rng: jax.Array | None, train: bool) -> jnp.ndarray:
    """float32 [B, D] model inputs; dynamic binarization only when training."""
    mode = "dynamic" if train and self.config.data.binarize == "dynamic" else "none"
    return data.preprocess(batch["image"], mode, rng)

  def loss(self, params, batch: dict, rng: jax.Array, train: bool = True, step=None):
    raise NotImplementedError

  def train_step(self) -> Callable:
    from ae.training import step   # The core depends on models, not the other way round.
    return step.make_train_step(self.loss)

  def eval_step(self, state, batch: dict, rng: jax.Array) -> dict:
    return self.loss(state.params, batch, rng, train=False)[1]

  # --------------------------------------------------------------------------- codes

  def encode(self, state, x: jnp.ndarray, labels=None) -> jnp.ndarray:
    raise NotImplementedError

  def decode(self, state, z: jnp.ndarray, labels=None) -> jnp.ndarray:
    raise NotImplementedError

  def reconstruct(self, state, x: jnp.ndarray, labels=None) -> jnp.ndarray:
    """Raw decoder outputs (the likelihood's parameters) for inputs x [B, D]."""
    return self.decode(state, self.encode(state, x, labels), labels)

  def evaluation_metrics(self, state, train, test) -> dict:
    del state, train, test
    return {}

  def tiles(self, rows) -> jnp.ndarray:
    """Flat images [R, C, D] -> one [R H, C W, channels] image of R rows and C columns."""
    h, w, c = self.spec.shape
    r, n = rows.shape[:2]
    return rows.reshape(r, n, h, w, c).transpose(0, 2, 1, 3, 4).reshape(r * h, n * w, c)

  def summary_images(self, state, split) -> dict:
    """Eight test images above their reconstructions' means, one [2 H, 8 W, C] image."""
    x = data.preprocess(split.images[:8])
    mean = self.likelihood.mean(self.reconstruct(state, x, split.labels[:8]))
    return {"reconstructions": self.tiles(jnp.stack([x, mean]))}

  def figures(self, state, split) -> dict:
    del state, split
    return {}
