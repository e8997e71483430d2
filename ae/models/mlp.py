"""MLP encoder and decoder.

The encoder reduces dimension (manifold learning): x [B, D] -> code z [B, k]. The decoder
generates: z -> the raw outputs that parameterize p(x | z) (see `ae.likelihoods`).
"""

from typing import Sequence

import flax.linen as nn
import jax.numpy as jnp

ACTIVATIONS = {"relu": nn.relu, "sigmoid": nn.sigmoid, "tanh": jnp.tanh, "elu": nn.elu,
               "gelu": nn.gelu, "linear": lambda x: x}


class MLP(nn.Module):
  """Dense layers with `activation` between them; the last layer is linear."""
  features: Sequence[int]
  activation: str = "relu"

  @nn.compact
  def __call__(self, x):
    for i, width in enumerate(self.features):
      x = nn.Dense(width, name=f"dense_{i}")(x)
      if i < len(self.features) - 1:
        x = ACTIVATIONS[self.activation](x)
    return x


class Encoder(nn.Module):
  """x -> pre-code u; the code is z = code_activation(u) (sigmoid for a sparse AE)."""
  hidden: Sequence[int]
  latent_dim: int
  activation: str = "relu"
  code_activation: str = "linear"

  @nn.compact
  def __call__(self, x):
    pre_code = MLP(tuple(self.hidden) + (self.latent_dim,), self.activation, name="mlp")(x)
    return ACTIVATIONS[self.code_activation](pre_code), pre_code


class Decoder(nn.Module):
  """z -> raw outputs of p(x | z): logits, means, or means and log-sigmas."""
  hidden: Sequence[int]
  num_outputs: int
  activation: str = "relu"

  @nn.compact
  def __call__(self, z):
    return MLP(tuple(self.hidden) + (self.num_outputs,), self.activation, name="mlp")(z)


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
