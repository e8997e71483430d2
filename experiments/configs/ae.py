"""Plain autoencoder on Fashion-MNIST: 784-512-256-32-256-512-784 ReLU, Bernoulli likelihood on
gray levels, Adam 1e-3, batch 128, 10 epochs."""

from ae.training import config as config_lib


def get_config():
  return config_lib.base_config("ae")
