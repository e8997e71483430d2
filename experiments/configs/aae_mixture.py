"""The AAE with the lecture's label-incorporated mixture of ten 2-D Gaussians: the discriminator
sees the one-hot label next to the code, and each image's prior samples come from its label's
Gaussian. Otherwise as aae_normal.py."""

from experiments.configs import aae_normal


def get_config():
  return aae_normal.get_config("mixture", label_prior=True)
