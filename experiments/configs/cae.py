"""Contractive autoencoder: penalizes ||d code / d x||_F^2 (exact Jacobian by jax.jacrev)."""

from ae.training import config as config_lib


def get_config():
  config = config_lib.base_config("cae")
  config.cae.contractive_weight = 0.1
  return config
