"""IWAE with k = 5 importance samples (Burda et al.); objective "vae" trains the VAE with the same
k samples (the mean of log w) for their Table 1 comparison. Otherwise as vae.py."""

from ae.training import config as config_lib


def get_config():
  config = config_lib.base_config("iwae")
  config.iwae.num_samples = 5
  config.iwae.objective = "iwae"
  return config
