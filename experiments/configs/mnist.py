"""Any family on MNIST's grey levels (not binarized), batch 64, 20 epochs, otherwise its
defaults (encoder 784-512-256-32, decoder mirrored, Bernoulli head, Adam 1e-3): the runs of the
lecture's part 5 (imputation, VAE-GAN), which compare families on the same data and networks.

  python -m experiments.train --config=experiments/configs/mnist.py:dae \
      --config.data.data_dir=../shared/data/mnist --workdir=runs/dae_mnist
"""

from ae.training import config as config_lib


def get_config(model: str = "vae"):
  config = config_lib.base_config(model)
  config.data.dataset = "mnist"
  config.train.batch_size = 64
  config.train.epochs = 20
  return config
