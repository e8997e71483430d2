"""The deterministic autoencoders: the reconstruction NLL of the input under the decoder's
distribution, plus each model's regularizer.

  ae    E_x[-log p(x | g(f(x)))]
  dae   E_x E_{x~ ~ q(.|x)}[-log p(x | g(f(x~)))]            (the target is the clean x)
  sae   ae + beta * sum_j KL(rho || rho_hat_j),  rho_hat_j = mean over the batch of z_j
  cae   ae + lambda * E_x ||J_f(x)||_F^2,        J_f = d code / d x

The contractive penalty, two ways (config.cae.jacobian):

  exact        the whole Jacobian by jax.jacrev: one reverse pass per code unit (k of them)
  projection   Hutchinson's estimator with m = config.cae.num_projections Rademacher vectors
               u (entries +-1, so E[u u^T] = I):  ||J||_F^2 = tr(J^T J) = E_u ||J u||^2,
               estimated by (1/m) sum_j ||J u_j||^2. Each J u is one forward-mode pass
               (jax.jvp) over the whole batch, so the cost is m forward passes instead of k
               reverse ones; the estimate is unbiased, and so is its gradient.

Config sections: config.dae (noise, noise_level), config.sae (sparsity_target,
sparsity_weight), config.cae (contractive_weight, jacobian, num_projections). Metrics:
loss = nll + penalty.
"""

import math

import jax
import jax.numpy as jnp

from ae import data
from ae.distributions import corruption
from ae.errors import ConfigError
from ae.models import base, networks

NAMES = ("ae", "dae", "sae", "cae")
JACOBIANS = ("exact", "projection")
SECTIONS = {
    "dae": {"noise": "masking", "noise_level": 0.3},
    "sae": {"sparsity_target": 0.05, "sparsity_weight": 0.1},
    "cae": {"contractive_weight": 0.1, "jacobian": "exact", "num_projections": 1},
}


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


def jacobian_frobenius_sq_projected(encode, x: jnp.ndarray, rng: jax.Array,
                                    num_projections: int) -> jnp.ndarray:
  """An unbiased estimate of ||d encode(x_i) / d x_i||_F^2 per example: the mean over
  `num_projections` Rademacher vectors u of ||J u||^2, each J u one jax.jvp over the batch
  (encode must treat examples independently, as an MLP does)."""
  def one(key):
    u = jax.random.rademacher(key, x.shape, x.dtype)
    _, ju = jax.jvp(encode, (x,), (u,))
    return jnp.sum(ju ** 2, axis=-1)
  return jnp.mean(jax.vmap(one)(jax.random.split(rng, num_projections)), axis=0)


def contractive_sigmoid_closed_form(w: jnp.ndarray, b: jnp.ndarray, x: jnp.ndarray):
  """For one sigmoid layer h = sigmoid(x W + b): ||J||_F^2 = sum_j (h_j (1 - h_j))^2 ||W_:j||^2."""
  h = jax.nn.sigmoid(x @ w + b)
  return jnp.sum((h * (1 - h)) ** 2 * jnp.sum(w ** 2, axis=0), axis=-1)


class Autoencoders(base.Model):
  """ae, dae, sae and cae: one MLP autoencoder, one Adam, the objective picked by the name."""
  metric_names = ("loss", "nll", "penalty")
  reconstruction_metric = "nll"

  @classmethod
  def config_sections(cls, name):
    return {name: dict(SECTIONS[name])} if name in SECTIONS else {}

  @classmethod
  def validate(cls, config):
    from ae.validation import require_choice, require_number
    name = config.model.name
    if name == "dae":
      require_choice(config, "dae.noise", corruption.NAMES)
      require_number(config, "dae.noise_level", low=0,
                     high=None if config.dae.noise == "gaussian" else 1)
    elif name == "sae":
      require_number(config, "sae.sparsity_target", low=0, low_open=True)
      if not config.sae.sparsity_target < 1:
        raise ConfigError("sae.sparsity_target", "must lie in (0, 1), not "
                          f"{config.sae.sparsity_target:g}.")
      require_number(config, "sae.sparsity_weight", low=0)
    elif name == "cae":
      require_number(config, "cae.contractive_weight", low=0)
      require_choice(config, "cae.jacobian", JACOBIANS)
      require_number(config, "cae.num_projections", low=1, high=4096, integer=True)

  def __init__(self, config, spec):
    super().__init__(config, spec)
    code = "sigmoid" if self.name == "sae" else None   # rates in (0, 1) for the KL
    self.module = networks.autoencoder(config.model, spec, self.likelihood.outputs_per_pixel,
                                       code, self.dtype)

  def init_params(self, rng):
    return self.module.init(rng, jnp.zeros((1, self.num_pixels), jnp.float32))

  def loss(self, params, batch, rng, train=True, step=None):
    del step
    rng_binarize, rng_noise = jax.random.split(rng)
    x = self.inputs(batch, rng_binarize, train)
    x_in = x
    if self.name == "dae":
      x_in = corruption.corrupt(rng_noise, x, self.config.dae.noise, self.config.dae.noise_level)
    out = self.module.apply(params, x_in)
    nll = self.likelihood.nll(x, out["outputs"]).mean()
    penalty = jnp.zeros((), nll.dtype)
    if self.name == "sae":
      s = self.config.sae
      penalty = s.sparsity_weight * sparsity_kl(out["pre_code"], s.sparsity_target).sum()
    elif self.name == "cae":
      c = self.config.cae
      encode = lambda v: self.module.apply(params, v, method=self.module.encode)
      if c.jacobian == "projection":
        frobenius = jacobian_frobenius_sq_projected(encode, x, jax.random.fold_in(rng, 2),
                                                    c.num_projections)
      else:
        frobenius = jacobian_frobenius_sq(encode, x)
      penalty = c.contractive_weight * frobenius.mean()
    loss = nll + penalty
    return loss, {"loss": loss, "nll": nll, "penalty": penalty}

  def encode(self, state, x, labels=None):
    return self.module.apply(state.params, x, method=self.module.encode)

  def decode(self, state, z, labels=None):
    return self.module.apply(state.params, z, method=self.module.decode)

  def reconstruct(self, state, x, labels=None):
    return self.module.apply(state.params, x)["outputs"]

  def figures(self, state, split):
    if self.name != "dae":
      return {}
    from ae.evaluation import plots
    d = self.config.dae
    clean = data.preprocess(split.images[:10])
    noisy = corruption.corrupt(jax.random.PRNGKey(self.config.train.seed), clean, d.noise,
                               d.noise_level)
    denoised = self.likelihood.mean(self.reconstruct(state, noisy))
    return {"denoising": plots.image_rows(
        {"clean": clean, f"{d.noise} {d.noise_level:g}": noisy, "denoised": denoised},
        "denoising", self.spec.shape)}
