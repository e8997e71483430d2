"""Kingma, Rezende, Mohamed & Welling 2014, "Semi-supervised Learning with Deep Generative
Models", MNIST with 100 labels (10 per class), and the authors' code (dpkingma/nips14-ssl).

m2: the M2 model on the pixels. The paper: z of 50 dimensions, one hidden layer of 500 units
(softplus), Bernoulli, Adam (its learning rate 3e-4 in the code), the labelled images'
classification loss weighted by alpha. Here the `semisupervised.py` preset moved to MNIST: ReLU,
alpha = 50 on the mean cross-entropy of a labelled batch of 100 next to each unlabelled batch of
100, the classifier's first layer shared with the encoder, N(0, 0.3^2) noise on the classifier's
inputs, Adam 1e-3, 10 epochs (chosen on Fashion-MNIST's held-out labels, never on a test
label), the Bernoulli likelihood on gray levels (the paper does not say how it binarized).

m1: M1, the VAE whose codes M1+M2 classifies (the authors' code, nips14-ssl): 784-500-500-(50,
50), softplus, Bernoulli (on gray levels, as M2 here), Adam 3e-4, batch 100; 50 epochs (the
paper trains M1 much longer; it does not say how long).

m1m2: M2 on M1's codes (`ae.models.stacked`): q(y | z1) and q(z2 | z1, y) and p(z1 | y, z2)
with one hidden layer of 300 softplus units (the code's setting for 100 labels), z2 of 50
dimensions, a Gaussian p(z1 | y, z2) with a learned variance, Adam 3e-4, batch 100 + 100
labelled, 30 epochs; alpha = 50 on the labelled batch's mean cross-entropy, as the m2 preset
(the paper: alpha = 0.1 N). m1m2.m1_workdir and m1m2.units (M1's active units) are set by the
protocol (experiments/protocols/kingma_2014.py).

  python -m experiments.train --config=experiments/configs/papers/kingma_2014.py:m2 \
      --config.data.data_dir=../shared/data/mnist --config.data.label_seed=0 --workdir=runs/m2_0
"""

from ae.training import config as config_lib
from experiments.configs import semisupervised

ARGS = ("m2", "m1", "m1m2")


def get_config(arg: str = "m2"):
  if arg == "m2":
    config = semisupervised.get_config()
  elif arg == "m1":
    config = config_lib.base_config("vae")
    config.model.hidden = (500, 500)
    config.model.latent_dim = 50
    config.model.activation = "softplus"
    config.train.learning_rate = 3e-4
    config.train.batch_size = 100
    config.train.epochs = 50
  elif arg == "m1m2":
    config = config_lib.base_config("m1m2")
    config.model.hidden = (300,)
    config.model.latent_dim = 50
    config.model.activation = "softplus"
    config.model.likelihood = "gaussian_learned"
    config.m2.alpha = 50.0
    config.data.num_labels = 100
    config.train.learning_rate = 3e-4
    config.train.batch_size = 100
    config.train.epochs = 30
  else:
    raise ValueError(f"kingma_2014.py takes one of {', '.join(ARGS)}, not {arg!r}.")
  config.data.dataset = "mnist"
  return config
