"""The VAE of the flax examples (google/flax examples/vae, main.py and train.py): encoder
784-500-(20 mean, 20 log-variance), decoder 20-500-784, ReLU, Bernoulli likelihood, Adam 1e-3,
batch 128, one sample of z per example, the KL in closed form; the test loss is the negative
ELBO of one sample averaged over the 10,000 test images.

Its published curve (flax PR #1361, README of examples/vae): 119.74 after 1 epoch, 106.06
after 5, 103.60 after 10, 101.83 after 20, on tfds `binarized_mnist` (Larochelle's fixed
binarization, 50k/10k/10k). Here: the full MNIST (60,000 training images), binarized afresh at
every minibatch; the test set binarized once with a fixed seed (data.binarize="dynamic").
--config.data.dataset=binarized_mnist uses tfds's fixed binarization instead, online.

  python -m experiments.train --config=experiments/configs/papers/flax_examples.py \
      --config.data.data_dir=../shared/data/mnist --workdir=runs/flax_vae
"""

from ae.training import config as config_lib


def get_config(arg: str = "vae"):
  if arg != "vae":
    raise ValueError(f"flax_examples.py has one preset, vae, not {arg!r}.")
  config = config_lib.base_config("vae")
  config.model.hidden = (500,)          # examples/vae/models.py: Dense(500), relu
  config.model.latent_dim = 20          # train.py: latents = 20
  config.model.activation = "relu"
  config.data.dataset = "mnist"
  config.data.binarize = "dynamic"
  config.train.batch_size = 128         # main.py: batch_size 128
  config.train.learning_rate = 1e-3     # learning_rate 1e-3, optax.adam
  config.train.epochs = 20              # the curve's last point
  return config
