"""Semi-supervised classification with the categorical AAE (Makhzani et al. 2015, section 5):
100 labelled training images (10 per class, drawn with data.label_seed), the other 59,900 used
without their labels. Encoder 784-1000-1000-(10-way softmax y, 10-D style z), decoder [y, z]-
1000-1000-784 (Bernoulli NLL), discriminators 1000-1000-1 on y and on z. Four updates per step:
reconstruction, discriminators, generator, supervised cross-entropy on a batch of the labelled
images. Batch 100, 30 epochs.

  python -m experiments.train --config=experiments/configs/aae_semisupervised.py \
      --config.data.label_seed=1 --workdir=runs/semi/aae_cat_seed1
"""

from ae.training import config as config_lib


def get_config():
  config = config_lib.base_config("aae_cat")
  config.model.hidden = (1000, 1000)
  config.model.latent_dim = 10
  config.aae_cat.num_categories = 10
  config.aae_cat.disc_hidden = (1000, 1000)
  config.data.num_labels = 100
  config.train.batch_size = 100
  config.train.epochs = 30
  return config
