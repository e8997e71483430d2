"""A conv VAE on the user's own images: a directory of PNG/JPEG files (one sub-directory per
class, or none), resized to 32x32 RGB, with the discretized logistic likelihood of 8-bit pixels
(so eval.json reports bits per dimension).

  python -m experiments.train --config=experiments/configs/folder.py \
      --config.data.data_dir=runs/fashion_png --workdir=runs/folder_vae

Any other size works if three halvings divide it (--config.data.image_size=64), and grey
images with --config.data.channels=1; `folder.py:native` keeps the images' own size (they must
all have one).
"""

from ae.training import config as config_lib


def get_config(size: str = "32"):
  config = config_lib.base_config("vae")
  config.data.dataset = "folder"
  config.data.image_size = None if size == "native" else int(size)
  config.data.channels = 3
  config.model.network = "conv"
  config.model.channels = (32, 64, 128)
  config.model.hidden = ()
  config.model.latent_dim = 32
  config.model.likelihood = "discretized_logistic"
  config.model.mixture_components = 1
  config.train.epochs = 10
  return config
