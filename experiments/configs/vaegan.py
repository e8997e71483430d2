"""VAE-GAN (Larsen et al. 2016) on MNIST and the VAE it is compared with (configs/mnist.py):
the same encoder 784-512-256-(32 mean, 32 log-variance) and mirrored decoder with a Bernoulli
head, ReLU, batch 64, 20 epochs, grey levels in [0, 1] (not binarized: binary real images
against grey decoder means would let the discriminator win by the pixel values alone). The discriminator is an MLP
784-512-256-1 whose 256 last hidden units are the feature layer Dis_l; the decoder and the
discriminator use Adam 2e-4 with b1 = 0.5 (the DCGAN setting Larsen et al. follow), the encoder
Adam 1e-3, the balancing margin 0.35.

pixel_weight = 1 here: the pixel NLL joins the feature-space error in the encoder's and the
decoder's updates (the VAE plus a GAN). With the paper's pixel_weight = 0 these MLPs lost the
code (KL under 1.2 nats after 3 epochs, against 29 with the pixel NLL), because the
feature target of a discriminator that is still learning carries too little of x to pay for the
KL; --config.vaegan.pixel_weight=0 trains that model.

  python -m experiments.train --config=experiments/configs/vaegan.py \\
      --config.data.data_dir=../shared/data/mnist --workdir=runs/vaegan
  python -m experiments.train --config=experiments/configs/vaegan.py:vae \\
      --config.data.data_dir=../shared/data/mnist --workdir=runs/vaegan_vae
"""

from experiments.configs import mnist


def get_config(model: str = "vaegan"):
  if model not in ("vaegan", "vae"):
    raise ValueError(f"vaegan.py has the presets vaegan and vae, not {model!r}.")
  config = mnist.get_config(model)
  if model == "vaegan":
    config.vaegan.pixel_weight = 1.0
  return config
