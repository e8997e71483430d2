"""The model of ../shared/bench/torch_vae.py (the PyTorch examples VAE): 784-400-(20, 20),
decoder 20-400-784, ReLU, Bernoulli on pixel / 255, Adam 1e-3, batch 128, 10 epochs."""

from ae.training import config as config_lib


def get_config():
  config = config_lib.base_config("vae")
  config.model.hidden = (400,)
  config.model.latent_dim = 20
  config.train.batch_size = 128
  config.train.learning_rate = 1e-3
  config.train.epochs = 10
  return config
