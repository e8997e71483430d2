"""Flax (linen) models. `build(config, num_pixels)` returns the autoencoder of a TrainConfig."""

from ae import likelihoods
from ae.models.mlp import MLP, Autoencoder, Decoder, Encoder

__all__ = ["MLP", "Encoder", "Decoder", "Autoencoder", "build"]


def build(config, num_pixels: int = 784) -> Autoencoder:
  """The MLP autoencoder of `config`: encoder widths `hidden`, the decoder mirrors them."""
  likelihood = likelihoods.get(config.likelihood, config.sigma)
  return Autoencoder(
      encoder=Encoder(tuple(config.hidden), config.latent_dim, config.activation, config.code),
      decoder=Decoder(tuple(reversed(config.hidden)),
                      num_pixels * likelihood.outputs_per_pixel, config.activation))
