"""Semi-supervised classification on Fashion-MNIST with 100 labels (10 per class, drawn with
data.label_seed): M2 (Kingma et al. 2014). Classifier q(y | x) 784-500-10 whose first layer is
the encoder's image part (m2.shared_layer), encoder q(z | x, y) [x, y]-500-(50, 50), decoder
p(x | y, z) [z, y]-500-784 (Bernoulli NLL on gray levels), ReLU; alpha = 50 on the classifier's
cross-entropy, N(0, 0.3^2) noise on the classifier's training inputs; Adam 1e-3, batch 100
unlabelled + 100 labelled, 10 epochs (the accuracy drifts down after the first few: choose the
epoch on held-out labels with experiments.semisupervised --holdout_labels=20).

  python -m experiments.semisupervised --workdir=runs/semi_shared --holdout_labels=20
  python -m experiments.train --config=experiments/configs/semisupervised.py \
      --config.data.label_seed=1 --workdir=runs/semi/m2_seed1  # one run
"""

from ae.training import config as config_lib


def get_config():
  config = config_lib.base_config("m2")
  config.model.hidden = (500,)
  config.model.latent_dim = 50
  config.m2.alpha = 50.0
  config.m2.classifier_noise = 0.3
  config.m2.shared_layer = True
  config.data.num_labels = 100
  config.train.batch_size = 100
  config.train.epochs = 10
  return config
