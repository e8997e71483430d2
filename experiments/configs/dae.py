"""Denoising autoencoder: 30% of the pixels masked to 0; the target is the clean image."""

from ae.training import config as config_lib


def get_config():
  config = config_lib.base_config("dae")
  config.dae.noise = "masking"
  config.dae.noise_level = 0.3
  return config
