"""The variational family: VAE, IWAE and the conditional VAE (Kingma et al. 2014's M2 trained
with every label), term by term.

  q(z | x) = N(mu(x), diag(sigma^2(x)))        the Gaussian encoder (posterior)
  p(z) = N(0, I),  p(x | z)                    the prior and the decoder's likelihood
  log w = log p(x | z) + log p(z) - log q(z | x),  z ~ q(z | x)     an importance weight

  ELBO      = E_q[log p(x | z)] - KL(q(z | x) || p(z))  <= log p(x)
              (the KL in closed form; one reparameterized sample for the expectation)
  vae loss  = -E_q[log p(x | z)] + beta_t KL,  beta_t = beta min(1, (step + 1) / warm-up steps)
  IWAE      L_k = E[log (1/k) sum_i w_i]: ELBO = L_1 <= L_k <= L_{k+1} <= log p(x)
              (Burda et al.; the gradient of L_k is sum_i w~_i grad log w_i with the normalized
              weights w~_i = w_i / sum_j w_j, which jax.grad of the log-mean-exp gives exactly)
  iwae with objective "vae": -(1/k) sum_i log w_i, the VAE trained with k samples (Burda, Table 1)
  cvae      the same ELBO with the one-hot label y appended to the encoder's input and to the
            decoder's input: q(z | x, y), p(x | z, y)

Metrics (nats per example): loss (the objective), elbo (the true ELBO, beta = 1, whatever the
training beta or warm-up; negative, higher is better), recon (E_q[-log p(x | z)]), kl, and
iw_bound (L_k with the model's k; the ELBO estimate itself for vae and cvae).
"""

import math

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np

from ae import data
from ae.distributions import gaussians
from ae.errors import ConfigError
from ae.models import base, networks
from ae.validation import require_choice, require_labels, require_number

NAMES = ("vae", "iwae", "cvae")
SECTIONS = {
    "vae": {"beta": 1.0, "warmup_epochs": 0, "decoder_bias": "zero"},
    "iwae": {"num_samples": 5, "objective": "iwae", "decoder_bias": "zero"},
    "cvae": {"beta": 1.0, "warmup_epochs": 0, "decoder_bias": "zero"},
}
DECODER_BIAS = ("zero", "data_mean")   # data_mean: logit of the training mean (Burda's code)
OBJECTIVES = ("iwae", "vae")


ROWS_PER_BLOCK = 8192


def samples_per_block(num_samples: int, batch: int, rows: int | None = None) -> int:
  """The largest divisor s of num_samples with s * batch <= rows (ROWS_PER_BLOCK unless given),
  and 1 when even one sample's rows are more."""
  rows = ROWS_PER_BLOCK if rows is None else rows
  return max(s for s in range(1, num_samples + 1)
             if num_samples % s == 0 and (s == 1 or s * batch <= rows))


def log_mean_exp(a, axis: int = 0):
  """log (1/k) sum_i exp(a_i), stable."""
  return jax.nn.logsumexp(a, axis=axis) - math.log(a.shape[axis])


class VAEModule(nn.Module):
  """Gaussian encoder and decoder; with num_classes > 0 both also see the one-hot label (the
  encoder appended to its trunk's features, the pixels themselves for an MLP; the decoder to z)."""
  encoder: networks.GaussianEncoder
  decoder: nn.Module
  num_classes: int = 0

  def _one_hot(self, labels, dtype):
    return jax.nn.one_hot(labels, self.num_classes, dtype=dtype) if self.num_classes else None

  def encode(self, x, labels=None):
    return self.encoder(x, self._one_hot(labels, x.dtype))

  def decode(self, z, labels=None):
    if self.num_classes:
      z = jnp.concatenate([z, self._one_hot(labels, z.dtype)], -1)
    return self.decoder(z)

  def __call__(self, x, labels=None):   # Used by init only: touches every layer once.
    mean, _ = self.encode(x, labels)
    return self.decode(mean, labels)


class Variational(base.Model):
  """vae, iwae and cvae: one Gaussian-encoder module, one Adam."""
  metric_names = ("loss", "elbo", "iw_bound", "recon", "kl")
  reconstruction_metric = "recon"

  @classmethod
  def config_sections(cls, name):
    return {name: dict(SECTIONS[name])}

  @classmethod
  def validate(cls, config):
    name = config.model.name
    cls.validate_decoder_bias(config)
    if name == "iwae":
      require_number(config, "iwae.num_samples", low=1, high=100000, integer=True)
      require_choice(config, "iwae.objective", OBJECTIVES)
    else:
      require_number(config, f"{name}.beta", low=0)
      require_number(config, f"{name}.warmup_epochs", low=0, integer=True)

  @staticmethod
  def validate_decoder_bias(config):
    name = config.model.name
    require_choice(config, f"{name}.decoder_bias", DECODER_BIAS)
    if config[name].decoder_bias == "data_mean" and config.model.likelihood != "bernoulli":
      raise ConfigError(f"{name}.decoder_bias", "data_mean sets Bernoulli logits; it goes with "
                        "model.likelihood='bernoulli'.")
    if config[name].decoder_bias == "data_mean" and config.model.network != "mlp":
      raise ConfigError(f"{name}.decoder_bias", "data_mean sets the MLP decoder's per-pixel "
                        "output bias; use model.network='mlp' or decoder_bias='zero'.")

  def __init__(self, config, spec):
    super().__init__(config, spec)
    self.section = config[self.name]
    self.conditional = self.name == "cvae"
    if self.conditional:
      require_labels(config, spec, "conditions on the label")
    self.num_samples = self.section.num_samples if self.name == "iwae" else 1
    self.module = VAEModule(
        encoder=networks.gaussian_encoder(config.model, spec, self.dtype),
        decoder=networks.decoder(config.model, spec, self.likelihood.outputs_per_pixel,
                                 self.dtype),
        num_classes=spec.num_classes if self.conditional else 0)
    self.output_bias = None

  def attach_training_data(self, split):
    super().attach_training_data(split)
    if self.section.decoder_bias == "data_mean":
      mean = np.asarray(data.preprocess(split.images)).mean(0)
      self.output_bias = np.log(np.clip(mean, 1e-3, 1 - 1e-3)) - np.log1p(
          -np.clip(mean, 1e-3, 1 - 1e-3))   # logit of the mean pixel, as in Burda's code

  def init_params(self, rng):
    x = jnp.zeros((1, self.num_pixels), jnp.float32)
    params = self.module.init(rng, x, jnp.zeros((1,), jnp.int32))
    if self.output_bias is not None:
      layers = params["params"]["decoder"]["mlp"]
      last = f"dense_{len(layers) - 1}"
      layers[last]["bias"] = jnp.asarray(self.output_bias, layers[last]["bias"].dtype)
    return params

  # --------------------------------------------------------------------------- the bound

  def _beta(self, step):
    if self.name == "iwae":
      return 1.0
    beta, warmup = self.section.beta, self.section.warmup_epochs
    if step is None or not warmup:
      return beta
    return beta * jnp.minimum(1.0, (step + 1) / (warmup * self.steps_per_epoch))

  def _terms(self, params, x, labels, rng, num_samples, blocked=False):
    """(log p(x | z), log p(z) - log q(z | x), kl) for num_samples z ~ q: [k, B], [k, B], [B]."""
    mean, logvar = self.module.apply(params, x, labels, method=self.module.encode)
    z = gaussians.sample(rng, mean, logvar, num_samples)                 # [k, B, latent]
    log_ratio = gaussians.log_standard_normal(z) - gaussians.log_normal(z, mean, logvar)
    return (self._log_px(params, x, labels, z, blocked), log_ratio,
            gaussians.kl_to_standard_normal(mean, logvar))

  def _log_px(self, params, x, labels, z, blocked=False):
    """log p(x | z) for z [k, B, latent]: [k, B]. Blocked, the k * B decoder rows go through in
    blocks of about ROWS_PER_BLOCK (samples_per_block), one after another."""
    k, b = z.shape[:2]
    s = samples_per_block(k, b) if blocked else k
    if s < k:
      return jax.lax.map(lambda zs: self._log_px(params, x, labels, zs),
                         z.reshape(k // s, s, b, -1)).reshape(k, b)
    tiled = None if labels is None else jnp.tile(labels, k)
    outputs = self.module.apply(params, z.reshape(k * b, -1), tiled, method=self.module.decode)
    return -self.likelihood.nll(jnp.tile(x, (k, 1)), outputs).reshape(k, b)

  def _labels(self, batch):
    return batch["label"] if self.conditional else None

  def loss(self, params, batch, rng, train=True, step=None):
    rng_binarize, rng_z = jax.random.split(rng)
    x = self.inputs(batch, rng_binarize, train)
    log_px, log_ratio, kl = self._terms(params, x, self._labels(batch), rng_z, self.num_samples)
    recon = -log_px.mean(0)                                              # [B]
    elbo = -(recon + kl)
    iw_bound = log_mean_exp(log_px + log_ratio)
    if self.name == "iwae":
      loss = -(iw_bound if self.section.objective == "iwae" else (log_px + log_ratio).mean(0))
    else:
      loss = recon + self._beta(step if train else None) * kl
    means = {"loss": loss, "elbo": elbo, "iw_bound": iw_bound, "recon": recon, "kl": kl}
    means = {k: v.mean() for k, v in means.items()}
    return means["loss"], means

  def log_importance_weights(self, state, x, labels, rng, num_samples):
    """log w of _terms' draws, decoded in blocks: at 5,000 rows a block the decoder's matmuls
    run near this CPU's matmul peak, and whole chunks of 50,000 rows took 1.4x as long
    (BENCHMARKS.md, `--nll_rows_per_block`)."""
    log_px, log_ratio, _ = self._terms(state.params, x, labels if self.conditional else None,
                                       rng, num_samples, blocked=True)
    return log_px + log_ratio

  # --------------------------------------------------------------------------- codes

  def encode(self, state, x, labels=None):
    """The posterior mean: the code used for evaluation and figures."""
    return self.module.apply(state.params, x, labels, method=self.module.encode)[0]

  def encode_distribution(self, state, x, labels=None):
    return self.module.apply(state.params, x, labels, method=self.module.encode)

  def decode(self, state, z, labels=None):
    return self.module.apply(state.params, z, labels, method=self.module.decode)

  def summary_images(self, state, split):
    images = super().summary_images(state, split)
    z = jax.random.normal(jax.random.PRNGKey(0), (16, self.config.model.latent_dim))
    labels = jnp.arange(16) % max(self.spec.num_classes, 1)
    mean = self.likelihood.mean(self.decode(state, z, labels))
    images["samples"] = self.tiles(mean.reshape(2, 8, -1))
    return images

  def figures(self, state, split):
    from ae.evaluation import generative
    return generative.figures(self, state, split)
