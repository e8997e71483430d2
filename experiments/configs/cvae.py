"""Conditional VAE (Kingma et al. 2014's M2 trained with every label): the one-hot label is
appended to the encoder's and the decoder's inputs. Otherwise as vae.py."""

from ae.training import config as config_lib


def get_config():
  return config_lib.base_config("cvae")
