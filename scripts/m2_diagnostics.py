"""Two diagnostics of M2 on Fashion-MNIST (README, "Semi-supervised classification"):

1. In an M2 run, how often the classifier's argmax q(y | x) and the generative model's choice
   argmin_y L(x, y) (z at its posterior mean) agree, and the accuracy of each, on the first 2,000
   test images.
2. The accuracy of an MLP of the given widths (the baseline's training: full-batch Adam, 500
   steps) on the posterior-mean codes of a VAE run (M1's codes, standardised over the whole
   training split), for the 100 labels of label seeds 0, 1 and 2.

  python scripts/m2_diagnostics.py runs/semi/m2_seed1 runs/semi/m1_vae
"""
import sys

import jax.numpy as jnp
import numpy as np

from ae import data
from ae.evaluation import metrics, semisupervised
from ae.training import loop


def generative_choice(workdir: str, count: int = 2000) -> None:
  config, model, state = loop.restore_run(workdir)
  test = loop.load_splits(config)["test"]
  x, y = data.preprocess(test.images[:count]), np.asarray(test.labels[:count])
  ys = jnp.repeat(jnp.arange(10), count)
  zero = jnp.zeros((10 * count, config.model.latent_dim))
  bound = model.neg_elbo(state.params, jnp.tile(x, (10, 1)), ys, zero)[0]
  generative = np.asarray(bound.reshape(10, count).argmin(0))
  classifier = np.asarray(model.class_log_probs(state.params, x).argmax(-1))
  print(f"{workdir}: argmin_y L(x, y) {np.mean(generative == y):.4f}, classifier "
        f"{np.mean(classifier == y):.4f}, agreement {np.mean(generative == classifier):.4f} "
        f"({count} test images)")


def mlp_on_codes(workdir: str, hidden=(500,)) -> None:
  config, model, state = loop.restore_run(workdir)
  splits = loop.load_splits(config)
  evaluator = metrics.Evaluator(model, state)
  train, test = (np.asarray(evaluator.encode(np.asarray(s.images))) for s in
                 (splits["train"], splits["test"]))
  mean, std = train.mean(0), train.std(0)
  print(f"{workdir}: {np.sum(std > 0.1)} of {std.size} code dimensions have a standard deviation "
        "above 0.1 over the training images")
  labels = np.asarray(splits["train"].labels)
  for seed in range(3):
    idx = data.labelled_indices(labels, 100, seed)
    accuracy = semisupervised.mlp_on_features((train[idx] - mean) / std, labels[idx],
                                              (test - mean) / std, np.asarray(
                                                  splits["test"].labels), hidden, seed=seed)
    print(f"{workdir}: MLP {hidden} on the codes of label seed {seed}'s 100 images: "
          f"{accuracy:.4f}")


if __name__ == "__main__":
  generative_choice(sys.argv[1])
  mlp_on_codes(sys.argv[2])
