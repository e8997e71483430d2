"""ae: the autoencoder family in functional JAX, from maximum likelihood up.

Chapter 1 (deep learning through maximum likelihood):
  nll          losses as negative log-likelihoods (Gaussian, Bernoulli, Categorical)
  mlp          an MLP as pure functions over a pytree of parameters
  gradients    hand-derived backprop, the one-neuron closed forms, the Taylor test
  descent      gradient descent by the chapter's three rules; L-BFGS for convex fits
  data         MNIST / Fashion-MNIST as arrays, with validation and preprocessing

Autoencoders (encoder: dimension reduction; decoder: generation; trained by the NLL):
  likelihoods  the decoder's distribution p(x | z)
  models       Flax encoder, decoder and autoencoder
  objectives   ae, dae, sae, cae objectives (reconstruction NLL + regularizers)
  corruption   input noise for the denoising autoencoder
  config       the validated training configuration
  train        the one training core: jitted, donated steps; scanned epochs; the loop
  checkpoints  orbax save / restore
  evaluate     reconstruction NLL, latent kNN, linear probe

Shared: plots (figures), cli (what every binary needs).
"""
