"""Flax (linen) encoder, decoder and autoencoder built from `ae.foundations.mlp.MLP`.

The encoder reduces dimension (manifold learning): x [B, D] -> code z [B, k]. The decoder
generates: z -> the raw outputs that parameterize p(x | z) (see `ae.distributions.likelihoods`).
"""

from typing import Sequence

import flax.linen as nn
import jax.numpy as jnp

from ae.foundations.mlp import MLP, activation


class Encoder(nn.Module):
  """x -> pre-code u; the code is z = code_activation(u) (sigmoid for a sparse AE)."""
  hidden: Sequence[int]
  latent_dim: int
  activation: str = "relu"
  code_activation: str = "identity"

  @nn.compact
  def __call__(self, x):
    pre_code = MLP(tuple(self.hidden) + (self.latent_dim,), self.activation, name="mlp")(x)
    return activation(self.code_activation).fn(pre_code), pre_code


class Decoder(nn.Module):
  """z -> raw outputs of p(x | z): logits, means, or means and log-sigmas."""
  hidden: Sequence[int]
  num_outputs: int
  activation: str = "relu"

  @nn.compact
  def __call__(self, z):
    return MLP(tuple(self.hidden) + (self.num_outputs,), self.activation, name="mlp")(z)


class GaussianEncoder(nn.Module):
  """x -> (mean, log-variance) of q(z | x) = N(mean, diag(exp(logvar))): the hidden layers, then
  one linear layer with 2k outputs split in halves (the same as two heads of k)."""
  hidden: Sequence[int]
  latent_dim: int
  activation: str = "relu"

  @nn.compact
  def __call__(self, x):
    out = MLP(tuple(self.hidden) + (2 * self.latent_dim,), self.activation, name="mlp")(x)
    mean, logvar = jnp.split(out, 2, axis=-1)
    return mean, logvar


class Autoencoder(nn.Module):
  encoder: Encoder
  decoder: Decoder

  def __call__(self, x):
    code, pre_code = self.encoder(x)
    return {"code": code, "pre_code": pre_code, "outputs": self.decoder(code)}

  def encode(self, x):
    return self.encoder(x)[0]

  def decode(self, z):
    return self.decoder(z)


def mlp_autoencoder(model_config, outputs_per_pixel: int, num_pixels: int,
                    code_activation: str | None = None) -> Autoencoder:
  """The autoencoder of config.model: encoder widths `hidden`, the decoder mirrors them."""
  hidden = tuple(model_config.hidden)
  return Autoencoder(
      encoder=Encoder(hidden, model_config.latent_dim, model_config.activation,
                      code_activation or model_config.code_activation),
      decoder=Decoder(tuple(reversed(hidden)), num_pixels * outputs_per_pixel,
                      model_config.activation))
