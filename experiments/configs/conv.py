"""Any family's preset with a convolutional network in place of the MLP:

  --config=experiments/configs/conv.py:vae          DCGAN-style: 4x4 convolutions of stride 2
                                                    with 32 and 64 channels, a dense layer to
                                                    and from the code (hidden = ())
  --config=experiments/configs/conv.py:vae,resnet   residual blocks at the same widths

On MNIST (`--config.data.dataset=mnist`) the conv VAE with a 20-dimensional code is the
comparison of README's "Convolutional networks" (against the 784-400-20 MLP of
vae_torch_reference.py): 28x28 halves twice to 7x7x64.
"""

import importlib


def get_config(arg: str = "vae"):
  model, _, network = arg.partition(",")
  config = importlib.import_module(f"experiments.configs.{model}").get_config()
  config.model.network = network or "conv"
  config.model.channels = (32, 64)
  config.model.hidden = ()
  config.model.latent_dim = 20
  return config
