"""The AAE with the lecture's label-incorporated swiss roll: each label owns a tenth of the roll's
length. Otherwise as aae_normal.py."""

from experiments.configs import aae_normal


def get_config():
  return aae_normal.get_config("swiss_roll", label_prior=True)
