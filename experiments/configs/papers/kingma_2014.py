"""Kingma, Rezende, Mohamed & Welling 2014, "Semi-supervised Learning with Deep Generative
Models", MNIST with 100 labels (10 per class), and the authors' code (dpkingma/nips14-ssl).

m2: the M2 model on the pixels. The paper: z of 50 dimensions, one hidden layer of 500 units
(softplus), Bernoulli, Adam (its learning rate 3e-4 in the code), the labelled images'
classification loss weighted by alpha. Here the `semisupervised.py` preset moved to MNIST: ReLU,
alpha = 50 on the mean cross-entropy of a labelled batch of 100 next to each unlabelled batch of
100, the classifier's first layer shared with the encoder, N(0, 0.3^2) noise on the classifier's
inputs, Adam 1e-3, 10 epochs (chosen on Fashion-MNIST's held-out labels, never on a test
label), the Bernoulli likelihood on gray levels (the paper does not say how it binarized).

  python -m experiments.train --config=experiments/configs/papers/kingma_2014.py:m2 \
      --config.data.data_dir=../shared/data/mnist --config.data.label_seed=0 --workdir=runs/m2_0
"""

from experiments.configs import semisupervised


def get_config(arg: str = "m2"):
  if arg != "m2":
    raise ValueError(f"kingma_2014.py has the preset m2, not {arg!r}.")
  config = semisupervised.get_config()
  config.data.dataset = "mnist"
  return config
