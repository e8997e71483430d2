"""Burda et al.'s set-up (their code): 784-200-200-(50, 50) tanh, decoder mirrored, output bias
at the logit of the training mean, dynamic binarization (the test set binarized once, with a
fixed seed), batch 20, Adam (eps 1e-4) with the 3^i-epoch stages: stage i = 0..7 lasts 3^i
epochs at 1e-3 * 10^(-i/7) (3,280 epochs in all; the first five stages are 121 epochs).

  python -m experiments.train --config=experiments/configs/iwae_paper.py:iwae ...   # IWAE, k = 5
  python -m experiments.train --config=experiments/configs/iwae_paper.py:vae ...    # VAE, k = 1
  --config.iwae.num_samples=50, or --config.iwae.objective=vae (the VAE trained with k samples)
"""

from ae.training import config as config_lib


def get_config(model: str = "iwae"):
  config = config_lib.base_config(model)
  config.model.hidden = (200, 200)
  config.model.latent_dim = 50
  config.model.activation = "tanh"
  config[model].decoder_bias = "data_mean"
  config.data.binarize = "dynamic"
  config.train.batch_size = 20
  config.train.learning_rate = 1e-3
  config.train.schedule = "burda_stages"
  config.train.adam_eps = 1e-4
  config.train.epochs = 121
  config.train.eval_batch_size = 1000
  if model == "iwae":
    config.iwae.num_samples = 5
  return config
