r"""Hand-derived backprop against jax.grad, in float64, for every head x activation x depth.

The network is an MLP on real data rows: the Gaussian and Bernoulli heads reconstruct the pixels
(an autoencoder's likelihoods), the Categorical head predicts the label. Exit code 1 when any
maximum relative error exceeds --tolerance.

  python -m experiments.gradient_check --workdir=runs/gradient_check
"""

import os
import sys

from absl import flags
import jax
import jax.numpy as jnp

from ae import data
from ae.foundations import gradients, mlp, nll
from experiments import cli
from experiments import common

MAX_DEPTH = flags.DEFINE_integer("max_depth", 8, "Check depths 1..max_depth (weight layers).")
WIDTH = flags.DEFINE_integer("width", 32, "Hidden width.")
ROWS = flags.DEFINE_integer("rows", 32, "Real data rows to use (test split).")
TOLERANCE = flags.DEFINE_float("tolerance", 1e-10, "Largest max relative error accepted.")
ACTIVATIONS = flags.DEFINE_list("activations", list(mlp.ACTIVATIONS), "Activations to check.")
HEADS = flags.DEFINE_list("heads", list(nll.HEADS), "Likelihood heads to check.")
for _name in ("rows", "tolerance"):
  cli.require_positive(_name)
cli.require_positive("width", high=common.MAX_WIDTH)
cli.require_positive("max_depth", high=common.MAX_DEPTH)


def check_all(x, labels, heads, activations, max_depth, width, seed) -> list:
  """Rows of (head, activation, depth, max relative error), all in float64."""
  results = []
  targets = {"gaussian": x, "bernoulli": data.binarize_fixed(x), "categorical": labels}
  out_dims = {"gaussian": x.shape[1], "bernoulli": x.shape[1], "categorical": 10}
  key = jax.random.PRNGKey(seed)
  for head in heads:
    for act in activations:
      for depth in range(1, max_depth + 1):
        key, k1, k2 = jax.random.split(key, 3)
        sizes = [x.shape[1]] + [width] * (depth - 1) + [out_dims[head]]
        params = mlp.random_biases(k2, mlp.init_mlp(k1, sizes, "glorot", jnp.float64))
        by_hand = gradients.backprop(params, x, targets[head], act, head)
        by_jax = jax.grad(gradients.loss)(params, x, targets[head], act, head)
        results.append((head, act, depth, gradients.max_relative_error(by_hand, by_jax)))
  return results


def main(argv):
  del argv
  for name, chosen, allowed in (("activations", ACTIVATIONS.value, mlp.ACTIVATIONS),
                                ("heads", HEADS.value, nll.HEADS)):
    bad = sorted(set(chosen) - set(allowed))
    if bad or not chosen:
      raise cli.usage_error(name, f"unknown value {', '.join(bad) or '(none)'}; "
                            f"choose from {', '.join(allowed)}.")
  common.check_mlp_memory(WIDTH.value, MAX_DEPTH.value, ROWS.value, itemsize=8, copies=4)
  workdir = cli.prepare_workdir(common.WORKDIR.value)
  jax.config.update("jax_enable_x64", True)
  x, labels, source = common.rows("test", ROWS.value)
  cli.write_config(workdir, {"data_source": source})
  results = check_all(x.astype(jnp.float64), labels, HEADS.value, ACTIVATIONS.value,
                      MAX_DEPTH.value, WIDTH.value, common.SEED.value)
  worst = max(r[3] for r in results)
  passed = worst <= TOLERANCE.value
  metrics = {"tolerance": TOLERANCE.value, "max_relative_error": worst, "passed": passed,
             "checks": [{"head": h, "activation": a, "depth": d, "max_relative_error": e}
                        for h, a, d, e in results]}
  cli.write_json(os.path.join(workdir, "metrics.json"), metrics)
  table = {}
  for h, a, d, e in results:
    table.setdefault((h, a), []).append(e)
  print(f"max relative error, hand-derived backprop vs jax.grad (float64, {x.shape[0]} rows), "
        f"depth 1..{MAX_DEPTH.value}:")
  print(cli.format_table(["head", "activation"] + [f"d={d}" for d in range(1, MAX_DEPTH.value + 1)],
                         [[h, a] + errs for (h, a), errs in table.items()]))
  print(f"worst {worst:.2e} vs tolerance {TOLERANCE.value:.0e}: {'PASS' if passed else 'FAIL'}")
  print(f"outputs in {workdir}")
  if not passed:
    sys.exit(1)


if __name__ == "__main__":
  cli.run(main)
