"""The lecture's first chapter: deep learning through maximum likelihood.

  nll        losses as negative log-likelihoods (Gaussian, Bernoulli, Categorical)
  mlp        the MLP as pure functions and as a Flax module; the one activation table
  gradients  hand-derived backprop, the one-neuron closed forms, the Taylor test
  descent    gradient descent by the chapter's three rules; L-BFGS for convex fits
"""
