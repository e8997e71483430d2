"""Kingma & Welling 2013, "Auto-Encoding Variational Bayes", section 5 and Figure 2 (MNIST):
encoder and decoder with one hidden layer of 500 tanh units (the paper: "one hidden layer of 500
units"; appendix C: tanh), a Bernoulli decoder, one sample (L = 1), minibatches of M = 100,
Adagrad with a global step from {0.01, 0.02, 0.1} "chosen on the training set in the first few
iterations" (here 0.02: see experiments/protocols/kingma_welling_2013.py), and "a small weight
decay term corresponding to a prior p(theta) = N(0, I)": per example, -log p(theta) / N, i.e.
weight_decay = 1 / N with N = 60,000. Latent sizes 3, 5, 10, 20 and 200 (the figure's panels).

Differences (the paper is silent or we cannot follow): the images are binarized afresh at every
minibatch (the paper does not say how its MNIST is made binary); the weights start from Flax's
LeCun-normal initialization, not N(0, 0.01); the figure runs to 10^8 training examples (1,667
epochs), our runs to the epochs `experiments.reproduce` reports.

  python -m experiments.train --config=experiments/configs/papers/kingma_welling_2013.py:20 \
      --config.data.data_dir=../shared/data/mnist --workdir=runs/kw_z20
"""

from ae.training import config as config_lib

LATENT_SIZES = (3, 5, 10, 20, 200)
TRAIN_EXAMPLES = 60000
EPOCHS = 1667          # 10^8 training examples, the end of Figure 2's x-axis


def get_config(arg: str = "20"):
  latent = int(arg)
  config = config_lib.base_config("vae")
  config.model.hidden = (500,)
  config.model.latent_dim = latent
  config.model.activation = "tanh"
  config.data.dataset = "mnist"
  config.data.binarize = "dynamic"
  config.train.batch_size = 100
  config.train.optimizer = "adagrad"
  config.train.learning_rate = 0.02
  config.train.weight_decay = 1.0 / TRAIN_EXAMPLES
  config.train.epochs = EPOCHS
  return config
