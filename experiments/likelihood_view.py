r"""The maximum-likelihood view on real data: the network outputs a distribution p(y | f(x)).

Task: predict the bottom half y of a (14x14, downsampled) image from its top half x with a linear
f. Minimizing MSE and minimizing the Gaussian NLL (sigma = 1) reach the same parameters, which are
also the least-squares solution; BCE and the Bernoulli NLL reach the same parameters as each other.
The step beyond: let the network output sigma(x) too and compare held-out NLL. Because the output
is a distribution we can sample y from it, which makes it a generative model.

  python -m experiments.likelihood_view --workdir=runs/likelihood_view
"""

import os

from absl import flags
import jax
import jax.flatten_util
import jax.numpy as jnp
import numpy as np
import optax

from ae.distributions import likelihoods
from ae.evaluation import plots
from ae.foundations import descent, nll
from experiments import cli
from experiments import common

ROWS = flags.DEFINE_integer("rows", 4000, "Real rows (test split); the last quarter is held out.")
STEPS = flags.DEFINE_integer("steps", 300, "Full-batch L-BFGS iterations per fit.")
LR = flags.DEFINE_float("lr", 0.01, "Adam learning rate for the learned-sigma model.")
SIGMA_STEPS = flags.DEFINE_integer("sigma_steps", 2000, "Adam steps for the learned-sigma model.")
COMPONENTS = flags.DEFINE_integer("components", 32, "Whitened principal components of the top "
                                  "half used as inputs (a well-posed design: unique parameters).")
SIGMA_MIN = flags.DEFINE_float("sigma_min", likelihoods.SIGMA_MIN, "Floor of the learned sigma (pixels are "
                               "quantized, so sigma -> 0 would give unbounded likelihoods).")
for _name in ("steps", "lr", "sigma_steps"):
  cli.require_positive(_name)
cli.require_range("rows", 8, 10 ** 6)       # A quarter is held out: at least 2 test rows.
cli.require_range("components", 1, 98)      # The top half of the pooled image has 98 pixels.
flags.register_validator("sigma_min", lambda v: 0 < v < 1,
                         message="--sigma_min must lie strictly between 0 and 1 (pixels are in "
                                 "[0, 1]).")


def halves(x):
  """[N, 784] pixels -> top and bottom halves of the 2x2-average-pooled 14x14 image, [N, 98]."""
  img = x.reshape(-1, 14, 2, 14, 2).mean(axis=(2, 4))
  return img[:, :7].reshape(-1, 98), img[:, 7:].reshape(-1, 98)


def whitening(x, k: int):
  """(mean, projection) so that (x - mean) @ projection has identity covariance, k components."""
  mean = x.mean(axis=0)
  _, s, vt = jnp.linalg.svd(x - mean, full_matrices=False)
  return mean, vt[:k].T * (jnp.sqrt(x.shape[0]) / s[:k])


def linear(p, x):
  return x @ p["w"] + p["b"]


def fit(loss_fn, params):
  """Convex fits: L-BFGS to convergence."""
  return descent.minimize_lbfgs(loss_fn, params, STEPS.value)


def fit_adam(loss_fn, params):
  """The non-convex learned-sigma fit: Adam with a cosine-decayed learning rate."""
  opt = optax.adam(optax.cosine_decay_schedule(LR.value, SIGMA_STEPS.value))
  result = descent.descend(loss_fn, params, optimizer=opt, learning_rate=1.0,
                           max_steps=SIGMA_STEPS.value, tol=0.0, enforce_decrease=False)
  return result.params, result.losses


def relative_diff(a, b) -> float:
  a, b = jax.flatten_util.ravel_pytree(a)[0], jax.flatten_util.ravel_pytree(b)[0]
  return float(jnp.max(jnp.abs(a - b)) / jnp.max(jnp.abs(b)))


def log_sigma(p, x):
  """Heteroscedastic log sigma(x), bounded below by log(--sigma_min)."""
  return likelihoods.bounded_log_scale(linear(p, x), SIGMA_MIN.value)


def main(argv):
  del argv
  workdir = cli.prepare_workdir(common.WORKDIR.value)
  pixels, _, source = common.rows("test", ROWS.value)
  cli.write_config(workdir, {"data_source": source})
  tops, y = halves(pixels)
  n_fit = (3 * tops.shape[0]) // 4
  if COMPONENTS.value > n_fit:
    raise cli.usage_error("components", f"{COMPONENTS.value} is more than the {n_fit} fitted "
                          "rows (three quarters of --rows); lower it or raise --rows.")
  mean, projection = whitening(tops[:n_fit], COMPONENTS.value)
  x = (tops - mean) @ projection
  (x_fit, y_fit), (x_test, y_test) = (x[:n_fit], y[:n_fit]), (x[n_fit:], y[n_fit:])
  # From zero, the iterates stay in the data's row space: the limit is the min-norm solution.
  init = {"w": jnp.zeros((COMPONENTS.value, 98)), "b": jnp.zeros((98,))}
  metrics = {"data_source": source, "fit_rows": int(n_fit), "test_rows": int(x_test.shape[0])}

  # Gaussian: MSE written the usual way vs the NLL from ae.nll.
  mse_loss = lambda p: jnp.mean((y_fit - linear(p, x_fit)) ** 2)
  gauss_loss = lambda p: nll.gaussian_nll(y_fit, linear(p, x_fit), 0.0).sum()
  p_mse, curve_mse = fit(mse_loss, init)
  p_gauss, curve_gauss = fit(gauss_loss, init)
  design = np.concatenate([np.asarray(x_fit), np.ones((n_fit, 1), np.float32)], axis=1)
  solution = np.linalg.lstsq(design.astype(np.float64), np.asarray(y_fit, np.float64), rcond=None)[0]
  p_lstsq = {"w": jnp.asarray(solution[:-1], jnp.float32), "b": jnp.asarray(solution[-1], jnp.float32)}
  metrics["gaussian"] = {
      "relative_param_diff_mse_vs_nll": relative_diff(p_mse, p_gauss),
      "relative_param_diff_nll_vs_least_squares": relative_diff(p_gauss, p_lstsq),
      "fit_mse": float(mse_loss(p_mse)), "least_squares_mse": float(mse_loss(p_lstsq))}

  # Bernoulli: BCE written the usual way (mean over pixels and rows) vs the NLL from ae.nll.
  bce_loss = lambda p: -jnp.mean(y_fit * jax.nn.log_sigmoid(linear(p, x_fit))
                                 + (1 - y_fit) * jax.nn.log_sigmoid(-linear(p, x_fit)))
  bern_loss = lambda p: nll.bernoulli_nll(y_fit, linear(p, x_fit)).sum()
  p_bce, _ = fit(bce_loss, init)
  p_bern, curve_bern = fit(bern_loss, init)
  metrics["bernoulli"] = {"relative_param_diff_bce_vs_nll": relative_diff(p_bce, p_bern),
                          "fit_bce": float(bce_loss(p_bce))}

  # The step beyond: a Gaussian whose sigma is an output too.
  scale_init = {"mean": p_gauss, "scale": jax.tree.map(jnp.zeros_like, init)}
  hetero = lambda p, xs, ys: nll.gaussian_nll(ys, linear(p["mean"], xs), log_sigma(p["scale"], xs))
  p_hetero, _ = fit_adam(lambda p: hetero(p, x_fit, y_fit).sum(), scale_init)
  test_mse = float(jnp.mean((y_test - linear(p_gauss, x_test)) ** 2))
  sigma_hat = float(jnp.sqrt(jnp.mean((y_fit - linear(p_gauss, x_fit)) ** 2)))
  metrics["learned_variance"] = {
      "test_nll_sigma_1": float(nll.gaussian_nll(y_test, linear(p_gauss, x_test), 0.0).mean()),
      "sigma_mle_constant": sigma_hat,
      "test_nll_sigma_mle_constant": float(nll.gaussian_nll(
          y_test, linear(p_gauss, x_test), jnp.log(sigma_hat)).mean()),
      "test_nll_learned_sigma": float(hetero(p_hetero, x_test, y_test).mean()),
      "test_mse": test_mse, "units": "nats per example (98 pixels)"}
  metrics["curves"] = {"mse": curve_mse, "gaussian_nll": curve_gauss, "bernoulli_nll": curve_bern}

  # Samples: y ~ p(y | f(x)) for held-out tops.
  k = jax.random.split(jax.random.PRNGKey(common.SEED.value + 1), 3)
  show = slice(0, 6)
  xs, ys = x_test[show], y_test[show]
  tops_shown = tops[n_fit:][show]
  mean = linear(p_gauss, xs)
  sig = jnp.exp(log_sigma(p_hetero["scale"], xs))
  mean_h = linear(p_hetero["mean"], xs)
  probs = jax.nn.sigmoid(linear(p_bern, xs))
  panels = {"true": ys, "Gaussian mean": mean,
            "sample, sigma=1": mean + jax.random.normal(k[0], mean.shape),
            "sample, learned sigma(x)": mean_h + sig * jax.random.normal(k[1], mean.shape),
            "Bernoulli mean": probs,
            "Bernoulli sample": jax.random.bernoulli(k[2], probs).astype(jnp.float32)}
  cli.write_json(os.path.join(workdir, "metrics.json"), metrics)
  cli.save_figure(plots.likelihood_samples(tops_shown, panels), os.path.join(workdir, "samples.png"))
  cli.save_figure(plots.curves(metrics["curves"], "full-batch Adam steps", "loss"),
                  os.path.join(workdir, "fit_curves.png"))
  g, b, lv = metrics["gaussian"], metrics["bernoulli"], metrics["learned_variance"]
  print(cli.format_table(["comparison", "max relative parameter difference"], [
      ["MSE vs Gaussian NLL", g["relative_param_diff_mse_vs_nll"]],
      ["Gaussian NLL vs least squares", g["relative_param_diff_nll_vs_least_squares"]],
      ["BCE vs Bernoulli NLL", b["relative_param_diff_bce_vs_nll"]]]))
  print(cli.format_table(["model of p(y|x)", "held-out NLL (nats/example)"], [
      ["Gaussian, sigma = 1", lv["test_nll_sigma_1"]],
      [f"Gaussian, sigma = {sigma_hat:.3f} (MLE constant)", lv["test_nll_sigma_mle_constant"]],
      ["Gaussian, learned sigma(x)", lv["test_nll_learned_sigma"]]]))
  print(f"outputs in {workdir}")


if __name__ == "__main__":
  cli.run(main)
