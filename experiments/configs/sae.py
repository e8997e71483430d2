"""Sparse autoencoder: sigmoid codes, KL(rho || rho_hat) pushes each unit's mean rate to rho."""

from ae.training import config as config_lib


def get_config():
  config = config_lib.base_config("sae")
  config.sae.sparsity_target = 0.05
  config.sae.sparsity_weight = 0.1
  return config
