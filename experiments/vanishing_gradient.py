r"""Per-layer gradient norms of a deep MLP classifier on real data, by activation and init.

Backprop multiplies delta by act'(z) at every layer: sigmoid' <= 1/4, so with weights of norm
about 1 the gradient reaching layer l shrinks roughly 4x per layer below the output; relu' is 1
on active units. The table lists, for sigmoid, the shrinkage ||dL/dW_l|| / ||dL/dW_{l+1}||
next to the mean and max of sigmoid'(z_l), which never exceed 0.25.

  python -m experiments.vanishing_gradient --workdir=runs/vanishing_gradient --depth=10
"""

import os

from absl import flags
import jax
import jax.numpy as jnp
import numpy as np

from ae.evaluation import plots
from ae.foundations import gradients, mlp
from experiments import cli
from experiments import common

DEPTH = flags.DEFINE_integer("depth", 10, "Weight layers (hidden layers + output layer).")
WIDTH = flags.DEFINE_integer("width", 64, "Hidden width.")
ROWS = flags.DEFINE_integer("rows", 512, "Real data rows (test split).")
INITS = flags.DEFINE_list("inits", ["normal", "glorot", "he"], "Initialisations to compare.")
ACTS = ("sigmoid", "tanh", "relu")
cli.require_positive("rows")
cli.require_positive("width", high=common.MAX_WIDTH)
cli.require_positive("depth", high=common.MAX_DEPTH)


def layer_stats(params, x, labels, act):
  """Per-layer Frobenius norms of dL/dW (hand backprop) and act'(z) mean/max per hidden layer."""
  grads = gradients.backprop(params, x, labels, act, "categorical")
  norms = [float(jnp.linalg.norm(g["w"])) for g in grads]
  derivative, fn = mlp.activation(act).derivative, mlp.activation(act).fn
  means, maxes, a = [], [], x
  for layer in params[:-1]:
    z = a @ layer["w"] + layer["b"]
    d = derivative(z)
    means.append(float(d.mean()))
    maxes.append(float(d.max()))
    a = fn(z)
  return norms, means, maxes


def main(argv):
  del argv
  bad = sorted(set(INITS.value) - set(mlp.INITS))
  if bad or not INITS.value:
    raise cli.usage_error("inits", f"unknown init {', '.join(bad) or '(none)'}; choose from "
                          f"{', '.join(mlp.INITS)}.")
  common.check_mlp_memory(WIDTH.value, DEPTH.value, ROWS.value)
  workdir = cli.prepare_workdir(common.WORKDIR.value)
  x, labels, source = common.rows("test", ROWS.value)
  cli.write_config(workdir, {"data_source": source})
  sizes = [x.shape[1]] + [WIDTH.value] * (DEPTH.value - 1) + [10]
  key = jax.random.PRNGKey(common.SEED.value)
  metrics = {"depth": DEPTH.value, "sigmoid_prime_bound": 0.25, "grad_norms": {},
             "act_prime_mean": {}, "act_prime_max": {}, "sigmoid_ratio": {}}
  for init in INITS.value:
    params = mlp.init_mlp(jax.random.fold_in(key, list(mlp.INITS).index(init)), sizes, init)
    for name in ("grad_norms", "act_prime_mean", "act_prime_max"):
      metrics[name][init] = {}
    for act in ACTS:
      norms, means, maxes = layer_stats(params, x, labels, act)
      metrics["grad_norms"][init][act] = norms
      metrics["act_prime_mean"][init][act] = means
      metrics["act_prime_max"][init][act] = maxes
    norms = np.array(metrics["grad_norms"][init]["sigmoid"])
    metrics["sigmoid_ratio"][init] = (norms[:-1] / norms[1:]).tolist()
  cli.write_json(os.path.join(workdir, "metrics.json"), metrics)
  cli.save_figure(plots.vanishing_gradient(metrics), os.path.join(workdir, "vanishing_gradient.png"))
  for init in INITS.value:
    g, ratio = metrics["grad_norms"][init], metrics["sigmoid_ratio"][init]
    print(f"init={init}: ||dL/dW_l|| per layer (layer 1 = input side)")
    rows = []
    for l in range(DEPTH.value):
      hidden = l < DEPTH.value - 1
      rows.append([l + 1, g["sigmoid"][l], g["tanh"][l], g["relu"][l],
                   ratio[l] if hidden else "",
                   metrics["act_prime_mean"][init]["sigmoid"][l] if hidden else "",
                   metrics["act_prime_max"][init]["sigmoid"][l] if hidden else "", "0.25"])
    print(cli.format_table(["layer", "sigmoid", "tanh", "relu", "sig ratio l/l+1",
                            "mean sig'(z)", "max sig'(z)", "bound"], rows))
    print("  first/last layer gradient norm: " + ", ".join(
        f"{a} {g[a][0] / g[a][-1]:.2e}" for a in ACTS))
  print(f"outputs in {workdir}")


if __name__ == "__main__":
  cli.run(main)
