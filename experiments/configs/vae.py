"""VAE on Fashion-MNIST: 784-512-256-(32 mean, 32 log-variance), decoder mirrored, ReLU,
Bernoulli likelihood on gray levels, Adam 1e-3, batch 128, 10 epochs, beta = 1, no warm-up."""

from ae.training import config as config_lib


def get_config():
  return config_lib.base_config("vae")
