"""ae: the autoencoder family in functional JAX, from maximum likelihood up. No flags here:
the library raises typed errors (`ae.errors`); the binaries in experiments/ own the flags.

  foundations/    the lecture's chapter 1: losses as NLLs (nll), the MLP as pure functions and
                  as a Flax module with the one activation table (mlp), hand backprop and the
                  Taylor test (gradients), the descent rules (descent)
  data            MNIST / Fashion-MNIST as `Split`s, with validation; `preprocess`
  distributions/  the decoder's p(x | z) (likelihoods); the DAE's corruption q(x~ | x)
  models/         the model interface (base), the registry (__init__), Flax networks, and one
                  module per family: autoencoders (ae, dae, sae, cae)
  training/       configs (config), the compiled step and epoch (step), data parallelism
                  (sharding), orbax checkpoints, metric writers, the loop
  evaluation/     reconstruction NLL, kNN, linear probe (metrics); run figures; plots
  errors, io      typed errors; atomic output files
"""
