"""Unsupervised clustering with the categorical AAE (Makhzani et al. 2015, section 6): a 16-way
softmax y and a 5-D style z, no labels at all. Encoder 784-512-256-(16 + 5), decoder mirrored
(Bernoulli NLL on gray levels), discriminators 512-256-1 on y and on z; Adam 1e-3 for the
reconstruction, 1e-3 (b1 = 0.5) for the game; batch 100, 20 epochs. `evaluate` writes
cluster_accuracy: each category takes the majority label of its test images."""

from ae.training import config as config_lib


def get_config():
  config = config_lib.base_config("aae_cat")
  config.model.latent_dim = 5
  config.aae_cat.num_categories = 16
  config.data.num_labels = 0
  config.train.batch_size = 100
  config.train.epochs = 20
  return config
