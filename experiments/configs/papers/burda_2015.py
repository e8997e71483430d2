"""Burda, Grosse & Salakhutdinov 2015, "Importance Weighted Autoencoders", Table 1 (MNIST, one
stochastic layer) and the authors' code (yburda/iwae): 784-200-200-(50 mean, 50 log-variance)
tanh, the decoder mirrored, Bernoulli, the output bias at the logit of the training mean; the
last 400 training images held out (59,600 for training); every minibatch binarized afresh, the
test set binarized once (stochastically, a fixed seed); batch 20; Adam with beta1 0.9, beta2
0.999, eps 1e-4; 8 stages, stage i = 0..7 lasting 3^i epochs at 1e-3 * 10^(-i/7) (3,280 epochs in
all); test NLL by importance sampling with k = 5000.

Arguments: vae_k1, vae_k5, vae_k50 (the VAE trained with k samples: -(1/k) sum log w) and
iwae_k1, iwae_k5, iwae_k50 (the IWAE bound; k = 1 is the VAE).

  python -m experiments.train --config=experiments/configs/papers/burda_2015.py:iwae_k5 \
      --config.data.data_dir=../shared/data/mnist --workdir=runs/iwae_k5
"""

from ae.training import config as config_lib

TRAIN_EXAMPLES = 59600      # the first 59,600 of MNIST's 60,000 training images
STAGES = 8
EPOCHS = sum(3 ** i for i in range(STAGES))   # 3,280
EVAL_SAMPLES = 5000


def stage_ends(stages: int = STAGES) -> list:
  """The epoch at which each stage ends: 1, 4, 13, 40, 121, 364, 1093, 3280."""
  return [sum(3 ** j for j in range(i + 1)) for i in range(stages)]


def get_config(arg: str = "iwae_k5"):
  objective, _, k = arg.partition("_k")
  if objective not in ("vae", "iwae") or not k.isdigit() or int(k) < 1:
    raise ValueError(f"burda_2015.py takes vae_kK or iwae_kK (as in iwae_k5), not {arg!r}.")
  config = config_lib.base_config("iwae")
  config.model.hidden = (200, 200)
  config.model.latent_dim = 50
  config.model.activation = "tanh"
  config.iwae.decoder_bias = "data_mean"
  config.iwae.num_samples = int(k)
  config.iwae.objective = objective
  config.data.dataset = "mnist"
  config.data.binarize = "dynamic"
  config.data.max_train_examples = TRAIN_EXAMPLES
  config.train.batch_size = 20
  config.train.learning_rate = 1e-3
  config.train.schedule = "burda_stages"
  config.train.adam_eps = 1e-4
  config.train.epochs = EPOCHS
  config.train.eval_batch_size = 1000
  return config
