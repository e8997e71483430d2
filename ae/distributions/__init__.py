"""Distributions: the decoder's p(x | z) (likelihoods) and the denoising corruption q(x~ | x).
Posteriors and priors of the variational and adversarial families belong here too."""
