"""The interface every model family implements: subclass `Model`, register it by name.

A family is built from a validated config (`Model(config, num_pixels)`) and then carries every
derived object with it, built once: its Flax module(s), the decoder's distribution
(`self.likelihood`), the optimizer. The training core only ever talks to this interface:

  config_sections(name)   class method: the family's own config section(s) and their defaults
  validate(config)        class method: checks the family's section; raises ConfigError
  init_state(rng)         the whole train state: every parameter and optimizer state (the core
                          calls it under one jax.jit, so it is initialised in one compiled call)
  loss(params, batch, rng, train) -> (loss, metrics)   the objective of the default step
  train_step()            (state, batch, rng) -> (state, metrics). By default one gradient step
                          on `loss`; a family with several updates (an adversarial AE) overrides it
  eval_step(state, batch, rng) -> metrics              by default `loss` with train=False
  metric_names            the keys of the metrics above, in display order; `headline` is the one
                          progress lines show
  encode(state, x) / decode(state, z) / reconstruct(state, x)   for evaluation and figures
  figures(state, images) -> {name: Figure}             figures of the family's own (optional)

A batch is {"image": uint8 [B, 28, 28, 1], "label": int32 [B]}; `self.inputs` turns its images
into model inputs with `ae.data.preprocess`, the one preprocessing path.
"""

from typing import Callable

import jax
import jax.numpy as jnp
import optax
from flax.training import train_state

from ae import data
from ae.distributions import likelihoods

TrainState = train_state.TrainState


class Model:
  """Base class of the model families; see the module docstring for the interface."""
  metric_names: tuple = ("loss",)
  headline: str = "loss"

  def __init__(self, config, num_pixels: int = 784):
    self.config = config
    self.name = config.model.name
    self.num_pixels = num_pixels
    self.likelihood = likelihoods.get(config.model.likelihood, config.model.sigma)

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
    return optax.adam(self.config.train.learning_rate)

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

  def loss(self, params, batch: dict, rng: jax.Array, train: bool = True):
    raise NotImplementedError

  def train_step(self) -> Callable:
    from ae.training import step   # The core depends on models, not the other way round.
    return step.make_train_step(self.loss)

  def eval_step(self, state, batch: dict, rng: jax.Array) -> dict:
    return self.loss(state.params, batch, rng, train=False)[1]

  # --------------------------------------------------------------------------- codes

  def encode(self, state, x: jnp.ndarray) -> jnp.ndarray:
    raise NotImplementedError

  def decode(self, state, z: jnp.ndarray) -> jnp.ndarray:
    raise NotImplementedError

  def reconstruct(self, state, x: jnp.ndarray) -> jnp.ndarray:
    """Raw decoder outputs (the likelihood's parameters) for inputs x [B, D]."""
    return self.decode(state, self.encode(state, x))

  def figures(self, state, images) -> dict:
    del state, images
    return {}
