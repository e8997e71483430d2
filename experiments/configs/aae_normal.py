"""Adversarial autoencoder (Makhzani et al. 2015) with a 2-D code and the N(0, I) prior:
784-512-256-2 deterministic encoder, decoder mirrored (Bernoulli NLL on gray levels), a
512-256-1 discriminator on the code. Reconstruction with Adam 1e-3. The discriminator uses Adam
(b1 = 0.5) at 5e-4 for N(0, I) and at 1e-3 for the label-incorporated priors. The generator
runs at 0.2 times that for N(0, I) (aae.generator_lr_factor) and at the same rate for the
labelled priors. Batch 128, 20 epochs.

The game's balance depends on these rates (README, "Adversarial autoencoders"):
- N(0, I), generator at the discriminator's rate:
  - at 5e-4 the reconstruction swung between 273 and 375 nats;
  - at 2e-4 the discriminator won, and the codes spread to +-60;
  - at 1e-3 the codes were noisy (test NLL 368 nats).
- N(0, I), generator at 0.2 x 5e-4: the reconstruction settled (test NLL 263 nats), and the
  discriminator gained slowly from epoch 8.
- The mixture at 2e-4: the discriminator won within 8 epochs."""

from ae.training import config as config_lib


def get_config(prior: str = "normal", label_prior: bool = False):
  config = config_lib.base_config("aae")
  config.model.latent_dim = 2
  config.aae.prior = prior
  config.aae.label_prior = label_prior
  config.aae.adversarial_learning_rate = 1e-3 if label_prior else 5e-4
  config.aae.generator_lr_factor = 1.0 if label_prior else 0.2
  config.train.epochs = 20
  return config
