"""Training objectives: the reconstruction NLL of the input under the decoder's distribution,
plus each model's regularizer. `make_objective` returns (params, batch, rng) -> (loss, metrics).

  ae    E_x[-log p(x | g(f(x)))]
  dae   E_x E_{x~ ~ q(.|x)}[-log p(x | g(f(x~)))]            (the target is the clean x)
  sae   ae + beta * sum_j KL(rho || rho_hat_j),  rho_hat_j = mean over the batch of z_j
  cae   ae + lambda * E_x ||J_f(x)||_F^2,        J_f = d code / d x (exact, by jax.jacrev)
"""

import math

import jax
import jax.numpy as jnp

from ae import corruption, data, likelihoods


def sparsity_kl(pre_code: jnp.ndarray, rho: float) -> jnp.ndarray:
  """KL(rho || rho_hat_j) per code unit, rho_hat_j = mean_i sigmoid(u_ij), in log-space:
  log rho_hat = logsumexp(log_sigmoid(u)) - log B, and likewise for 1 - rho_hat."""
  log_b = math.log(pre_code.shape[0])
  log_rho_hat = jax.nn.logsumexp(jax.nn.log_sigmoid(pre_code), axis=0) - log_b
  log_one_minus = jax.nn.logsumexp(jax.nn.log_sigmoid(-pre_code), axis=0) - log_b
  return (rho * (math.log(rho) - log_rho_hat)
          + (1 - rho) * (math.log(1 - rho) - log_one_minus))


def jacobian_frobenius_sq(encode, x: jnp.ndarray) -> jnp.ndarray:
  """||d encode(x_i) / d x_i||_F^2 per example; encode maps [B, D] -> [B, k]."""
  single = lambda xi: encode(xi[None])[0]
  jacobians = jax.vmap(jax.jacrev(single))(x)          # [B, k, D]
  return jnp.sum(jacobians ** 2, axis=(1, 2))


def contractive_sigmoid_closed_form(w: jnp.ndarray, b: jnp.ndarray, x: jnp.ndarray):
  """For one sigmoid layer h = sigmoid(x W + b): ||J||_F^2 = sum_j (h_j (1 - h_j))^2 ||W_:j||^2."""
  h = jax.nn.sigmoid(x @ w + b)
  return jnp.sum((h * (1 - h)) ** 2 * jnp.sum(w ** 2, axis=0), axis=-1)


def prepare_inputs(batch: dict, rng: jax.Array, binarize: bool) -> jnp.ndarray:
  """uint8 [B, ...] -> float32 [B, D] in [0, 1]; a fresh Bernoulli sample when binarize."""
  x = data.flatten(data.to_float(batch["image"]))
  return data.binarize_dynamic(rng, x) if binarize else x


def make_objective(config, model, train: bool = True):
  """The objective of config.model. With train=False no dynamic binarization is applied (the
  evaluation set is binarized once, with a fixed seed)."""
  likelihood = likelihoods.get(config.likelihood, config.sigma)
  binarize = train and config.binarize == "dynamic"

  def objective(params, batch, rng):
    rng_binarize, rng_noise = jax.random.split(rng)
    x = prepare_inputs(batch, rng_binarize, binarize)
    x_in = (corruption.corrupt(rng_noise, x, config.noise, config.noise_level)
            if config.model == "dae" else x)
    out = model.apply(params, x_in)
    nll = likelihood.nll(x, out["outputs"]).mean()
    penalty = jnp.zeros((), nll.dtype)
    if config.model == "sae":
      penalty = config.sparsity_weight * sparsity_kl(out["pre_code"], config.sparsity_target).sum()
    elif config.model == "cae":
      encode = lambda v: model.apply(params, v, method=model.encode)
      penalty = config.contractive_weight * jacobian_frobenius_sq(encode, x).mean()
    loss = nll + penalty
    return loss, {"loss": loss, "nll": nll, "penalty": penalty}

  return objective
