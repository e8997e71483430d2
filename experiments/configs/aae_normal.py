"""Adversarial autoencoder (Makhzani et al. 2015) with a 2-D code and the N(0, I) prior:
784-512-256-2 deterministic encoder, decoder mirrored (Bernoulli NLL on gray levels), a
512-256-1 discriminator on the code. Reconstruction with Adam 1e-3; discriminator and generator
with Adam 2e-4 (b1 = 0.5); batch 128, 20 epochs."""

from ae.training import config as config_lib


def get_config(prior: str = "normal", label_prior: bool = False):
  config = config_lib.base_config("aae")
  config.model.latent_dim = 2
  config.aae.prior = prior
  config.aae.label_prior = label_prior
  config.train.epochs = 20
  return config
