r"""The Taylor test on an MLP and likelihood head of your choice, on real data rows (float64).

R0 ~ eps, R1 ~ eps^2 with the right gradient, R2 ~ eps^3 with the right Hessian-vector product.
--gradient_error=0.01 scales the gradient by 1.01 to show the test catching a 1% error.
Exit code 1 when the test fails.

  python -m experiments.taylor_check --workdir=runs/taylor_check
  python -m experiments.taylor_check --workdir=runs/taylor_wrong --gradient_error=0.01
"""

import os
import sys

from absl import flags
import jax
import jax.numpy as jnp

from ae import data
from ae.evaluation import plots
from ae.foundations import gradients, mlp, nll
from experiments import cli
from experiments import common

ACTIVATION = flags.DEFINE_enum("activation", "tanh", list(mlp.ACTIVATIONS), "Hidden activation.")
HEAD = flags.DEFINE_enum("head", "bernoulli", list(nll.HEADS), "Likelihood head (the loss).")
DEPTH = flags.DEFINE_integer("depth", 3, "Weight layers.")
WIDTH = flags.DEFINE_integer("width", 32, "Hidden width.")
ROWS = flags.DEFINE_integer("rows", 64, "Real data rows (test split).")
GRADIENT = flags.DEFINE_enum("gradient", "backprop", ["backprop", "autodiff"],
                             "Gradient under test: the hand-derived one or jax.grad.")
GRADIENT_ERROR = flags.DEFINE_float("gradient_error", 0.0,
                                    "Relative error to put into the gradient on purpose.")
cli.require_positive("rows")
cli.require_positive("gradient_error", strict=False)
cli.require_positive("width", high=common.MAX_WIDTH)
cli.require_positive("depth", high=common.MAX_DEPTH)


def main(argv):
  del argv
  common.check_mlp_memory(WIDTH.value, DEPTH.value, ROWS.value, itemsize=8, copies=6)
  workdir = cli.prepare_workdir(common.WORKDIR.value)
  jax.config.update("jax_enable_x64", True)
  x, labels, source = common.rows("test", ROWS.value)
  cli.write_config(workdir, {"data_source": source})
  x = x.astype(jnp.float64)
  head, act = HEAD.value, ACTIVATION.value
  y = {"gaussian": x, "bernoulli": data.binarize_fixed(x), "categorical": labels}[head]
  out = 10 if head == "categorical" else x.shape[1]
  k1, k2 = jax.random.split(jax.random.PRNGKey(common.SEED.value))
  sizes = [x.shape[1]] + [WIDTH.value] * (DEPTH.value - 1) + [out]
  params = mlp.random_biases(k2, mlp.init_mlp(k1, sizes, "glorot", jnp.float64))
  loss_fn = lambda p: gradients.loss(p, x, y, act, head)
  exact = ((lambda p: gradients.backprop(p, x, y, act, head)) if GRADIENT.value == "backprop"
           else jax.grad(loss_fn))
  grad_fn = lambda p: jax.tree.map(lambda g: (1.0 + GRADIENT_ERROR.value) * g, exact(p))
  result = gradients.taylor_test(loss_fn, params, grad_fn, gradients.hvp(loss_fn),
                                 seed=common.SEED.value)
  names = ["R0", "R1", "R2"]
  metrics = {"epsilons": result.epsilons, "passed": result.passed,
             "remainders": {n: r for n, r in zip(names, result.remainders)},
             "rates": {n: r for n, r in zip(names, result.rates)},
             "expected_rates": {"R0": 1, "R1": 2, "R2": 3}}
  cli.write_json(os.path.join(workdir, "metrics.json"), metrics)
  cli.save_figure(plots.taylor(result, f"{act} MLP, depth {DEPTH.value}, {head} NLL, "
                               f"gradient error {GRADIENT_ERROR.value:g}"),
                  os.path.join(workdir, "taylor.png"))
  rows = [[f"{e:.2e}"] + [float(r[i]) for r in result.remainders]
          + [float(r[i - 1]) if i else "" for r in result.rates]
          for i, e in enumerate(result.epsilons)]
  print(cli.format_table(["eps", "R0", "R1", "R2", "order R0", "order R1", "order R2"], rows))
  print(f"expected orders 1, 2, 3; {GRADIENT.value} gradient x (1 + {GRADIENT_ERROR.value:g}): "
        f"{'PASS' if result.passed else 'FAIL'}")
  print(f"outputs in {workdir}")
  if not result.passed:
    sys.exit(1)


if __name__ == "__main__":
  cli.run(main)
