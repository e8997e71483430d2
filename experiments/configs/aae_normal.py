"""Adversarial autoencoder (Makhzani et al. 2015) with a 2-D code and the N(0, I) prior:
784-512-256-2 deterministic encoder, decoder mirrored (Bernoulli NLL on gray levels), a
512-256-1 discriminator on the code. Reconstruction with Adam 1e-3; discriminator and generator
with Adam (b1 = 0.5) at 5e-4 for N(0, I), and at 1e-3 for the label-incorporated priors. The
game's balance depends on it: with N(0, I) at 2e-4 the discriminator won (its loss fell to 0.11
by epoch 20 and the codes spread to +-60), and at 1e-3 the encoder's codes were noisy (test NLL
368 nats); with the mixture at 2e-4 the discriminator won within 8 epochs. Batch 128, 20
epochs."""

from ae.training import config as config_lib


def get_config(prior: str = "normal", label_prior: bool = False):
  config = config_lib.base_config("aae")
  config.model.latent_dim = 2
  config.aae.prior = prior
  config.aae.label_prior = label_prior
  config.aae.adversarial_learning_rate = 1e-3 if label_prior else 5e-4
  config.train.epochs = 20
  return config
