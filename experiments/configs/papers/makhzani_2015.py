"""Makhzani, Shlens, Jaitly, Goodfellow & Frey 2015, "Adversarial Autoencoders", on MNIST.

Arguments:
  figure2             2-D codes under N(0, I) (Figure 2's left panel)
  figure4             2-D codes under the mixture of ten 2-D Gaussians, each image's prior
                      samples drawn from its label's Gaussian (Figure 4, the labelled panel)
  figure4_unlabelled  the same mixture, no label given to the discriminator
  clustering16        unsupervised clustering (section 6): a 16-way softmax y and a 5-D style
  parzen              the Parzen-window likelihood's model (Table 1), as a public reproduction
                      that says it follows the paper set it up: an 8-D code under N(0, 5^2 I),
                      two layers of 1200 ReLU units in the encoder, the decoder and the
                      discriminator, batch 100, 200 epochs, 59,000 training images (the last
                      1,000 are the validation split that chooses the bandwidth)

Differences from the paper: our own presets' networks (experiments/configs/aae_normal.py and
aae_clustering.py: 784-512-256 encoder and decoder, a 512-256 discriminator) rather than the
paper's two layers of 1000 (3,000 for clustering) units, for the compute of this machine; Adam
with the presets' rates for every phase, where the paper uses SGD with momentum; 20 epochs;
the Bernoulli likelihood on gray levels.

  python -m experiments.train --config=experiments/configs/papers/makhzani_2015.py:figure4 \
      --config.data.data_dir=../shared/data/mnist --workdir=runs/aae_figure4
"""

from experiments.configs import aae_clustering, aae_normal

ARGS = ("figure2", "figure4", "figure4_unlabelled", "clustering16", "parzen")
PARZEN_TRAIN = 59000


def get_config(arg: str = "figure4"):
  if arg == "figure2":
    config = aae_normal.get_config("normal")
  elif arg == "figure4":
    config = aae_normal.get_config("mixture", label_prior=True)
  elif arg == "figure4_unlabelled":
    config = aae_normal.get_config("mixture", label_prior=False)
  elif arg == "clustering16":
    config = aae_clustering.get_config()
  elif arg == "parzen":
    config = aae_normal.get_config("normal")
    config.model.latent_dim = 8
    config.model.hidden = (1200, 1200)
    config.aae.disc_hidden = (1200, 1200)
    config.aae.prior_scale = 5.0
    config.data.max_train_examples = PARZEN_TRAIN
    config.train.batch_size = 100
    config.train.epochs = 200
  else:
    raise ValueError(f"makhzani_2015.py takes one of {', '.join(ARGS)}, not {arg!r}.")
  config.data.dataset = "mnist"
  return config
