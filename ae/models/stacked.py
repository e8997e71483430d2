"""M1+M2 (Kingma et al. 2014, section 3.2.3, "stacked generative semi-supervised model"): M2
trained on the codes of a trained VAE, M1, instead of on the pixels.

  z1 ~ q_M1(z1 | x) = N(mu1(x), diag(sigma1^2(x)))    M1's encoder, frozen (a finished
                                                       experiments.train run of a vae)
  M2 on z1 (`ae.models.semisupervised`): p(z1 | y, z2) Gaussian with a learned variance,
  q(z2 | z1, y), q(y | z1); the loss, labelled and unlabelled, is M2's with x := z1.

In training every image's z1 is drawn afresh at every minibatch (z1 = mu1 + sigma1 * eps, as
the authors' code resamples M1's posterior); in evaluation z1 = mu1(x). Only M1's active units
enter M2: the indices in config.m1m2.units (the protocol keeps the units whose posterior mean
varies over the training images with a standard deviation above 0.1, `active_units`; the
authors' code drops the rest the same way).

config.m1m2.m1_workdir names M1's run; its latest checkpoint is read once, when the model is
built, and M1's parameters enter M2's programs as constants (they are not trained, not in the
train state and not in M2's checkpoints: the run depends on M1's workdir staying where it is).
M1's own inputs are its preprocessing of the images: gray levels (M1 trained with
data.binarize = "none").

Images in, as for every family: `inputs`, `categories` and `encode` take pixels; the codes z1
are internal. There are no pixel reconstructions (M2 reconstructs z1), so no summary images.
"""

import os

import jax
import jax.numpy as jnp
import numpy as np

from ae import data
from ae.errors import ConfigError
from ae.models import semisupervised

NAMES = ("m1m2",)
MIN_STD = 0.1   # the authors' code: M1's units with a posterior-mean std below this are dropped


def active_units(means, min_std: float = MIN_STD) -> list:
  """Indices of the code units whose posterior mean varies over the images: std > min_std."""
  return [int(u) for u in np.flatnonzero(np.std(np.asarray(means, np.float64), 0) > min_std)]


def load_m1(workdir: str):
  """(model, params) of M1's finished run in workdir; a ConfigError naming m1m2.m1_workdir
  when it is not one."""
  from ae.training import loop   # The training core depends on models, not the other way round.
  if not workdir or not os.path.isfile(os.path.join(workdir, "config.json")):
    raise ConfigError("m1m2.m1_workdir", f"{workdir!r} is not a training run; train M1 (a vae) "
                      "with python -m experiments.train and name its --workdir.")
  try:
    config, model, state = loop.restore_run(workdir)
  except FileNotFoundError:
    raise ConfigError("m1m2.m1_workdir", f"{workdir} has no finished checkpoint; train M1 "
                      "first.") from None
  if config.model.name != "vae" or config.data.binarize != "none":
    raise ConfigError("m1m2.m1_workdir", f"{workdir} holds a {config.model.name} run with "
                      f"data.binarize={config.data.binarize!r}; M1 is a vae trained on gray "
                      "levels (data.binarize='none').")
  return model, state.params


class M1M2(semisupervised.M2):
  """m1m2: M2 on the active units of a frozen M1's codes."""

  @classmethod
  def config_sections(cls, name):
    sections = super().config_sections(name)
    sections["m1m2"] = {"m1_workdir": "", "units": ()}
    return sections

  @classmethod
  def validate(cls, config):
    super().validate(config)
    units = config.m1m2.units
    if not isinstance(units, (tuple, list)) or not units or not all(
        isinstance(u, int) and not isinstance(u, bool) and u >= 0 for u in units) or len(
            set(units)) < len(units):
      raise ConfigError("m1m2.units", f"must be M1's active code units, distinct indices from "
                        f"0, as in (0, 3, 7); got {units!r}.")
    if not isinstance(config.m1m2.m1_workdir, str) or not config.m1m2.m1_workdir:
      raise ConfigError("m1m2.m1_workdir", "is required: name the workdir of M1's training "
                        "run (a vae).")
    if config.model.likelihood == "bernoulli":
      raise ConfigError("model.likelihood", "M1's codes are real numbers; choose gaussian or "
                        "gaussian_learned.")
    if config.data.binarize != "none":
      raise ConfigError("data.binarize", "M1's inputs are its own; set it to 'none'.")

  def __init__(self, config, spec):
    self.m1, self.m1_params = load_m1(config.m1m2.m1_workdir)
    self.units = jnp.asarray(config.m1m2.units, jnp.int32)
    if max(config.m1m2.units) >= self.m1.config.model.latent_dim:
      raise ConfigError("m1m2.units", f"M1 has {self.m1.config.model.latent_dim} code units; "
                        f"{max(config.m1m2.units)} is not one of them.")
    if tuple(self.m1.spec.shape) != tuple(spec.shape):
      raise ConfigError("m1m2.m1_workdir", f"M1 was trained on images of shape "
                        f"{tuple(self.m1.spec.shape)}, these are {tuple(spec.shape)}; train M1 "
                        "on this data.")
    super().__init__(config, data.Spec((len(config.m1m2.units),), spec.class_names))
    self.image_spec = spec

  def m1_posterior(self, x):
    """M1's (mean, log-variance) of z1 on its active units: [B, U] each; x are pixels."""
    mean, logvar = self.m1.module.apply(self.m1_params, x, None, method=self.m1.module.encode)
    return mean[:, self.units], logvar[:, self.units]

  def inputs(self, batch, rng, train):
    """z1: a draw from q_M1(z1 | x) in training (given rng), its mean otherwise."""
    mean, logvar = self.m1_posterior(data.preprocess(batch["image"]))
    if not train or rng is None:
      return mean
    return mean + jnp.exp(0.5 * logvar) * jax.random.normal(rng, mean.shape)

  def categories(self, state, x):
    return super().categories(state, self.m1_posterior(x)[0])

  def encode(self, state, x, labels=None):
    return super().encode(state, self.m1_posterior(x)[0], labels)

  def reconstruct(self, state, x, labels=None):
    raise NotImplementedError("m1m2 reconstructs M1's codes, not images")

  def summary_images(self, state, split):
    del state, split
    return {}

  def figures(self, state, split):
    del state, split
    return {}
