"""ae: the autoencoder family in functional JAX, from maximum likelihood up.

Chapter 1 (deep learning through maximum likelihood):
  nll        losses as negative log-likelihoods (Gaussian, Bernoulli, Categorical)
  mlp        an MLP as pure functions over a pytree of parameters
  gradients  hand-derived backprop, the one-neuron closed forms, the Taylor test
  descent    gradient descent by the chapter's three rules
  data       MNIST / Fashion-MNIST as arrays, with validation and preprocessing
"""
