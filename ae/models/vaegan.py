"""VAE-GAN (Larsen, Sønderby, Larochelle and Winther 2016, "Autoencoding beyond pixels using a
learned similarity metric"): a VAE whose reconstruction error is measured in a discriminator's
feature layer, trained against that discriminator as the generator of a GAN.

  q(z | x) = N(mu(x), diag(sigma^2(x))), p(z) = N(0, I)      the VAE's encoder and prior
  x~ = Dec(z), z ~ q(z | x);   x_p = Dec(z_p), z_p ~ p(z)      reconstructions and samples
                               (decoder means, in [0, 1] for the Bernoulli decoder)
  D(x) = sigmoid(d(x)), Dis_l(x)   the discriminator's probability that x is real, and its
                               features at layer l (the last hidden layer's activations)

  L_prior  = KL(q(z | x) || p(z))
  L_llike  = -E_q[log N(Dis_l(x); Dis_l(x~), I)] = 1/2 ||Dis_l(x) - Dis_l(x~)||^2 + const
             (the reconstruction error in feature space; nats per example up to the constant)
  L_disc   = softplus(-d(x)) + 1/2 [softplus(d(x~)) + softplus(d(x_p))]
             = -log D(x) - 1/2 [log(1 - D(x~)) + log(1 - D(x_p))]
  L_gen    = 1/2 [softplus(-d(x~)) + softplus(-d(x_p))]      (non-saturating: -log D(fake))

Three updates per step, each of its own parameters with its own Adam, all three gradients taken
at the same parameters (the paper's Algorithm 1):

  encoder        beta L_prior + L_llike (+ pixel_weight * pixel NLL)
  decoder        gamma L_llike + L_gen (+ pixel_weight * pixel NLL)
  discriminator  L_disc

Half the fakes are reconstructions and half samples, so at the game's balance (D = 1/2 on every
image) L_disc = 2 log 2 = 1.386 and L_gen = log 2 = 0.693, as for the adversarial AEs. The
decoder keeps the Bernoulli (or other) likelihood head of `config.model.likelihood`: its pixel
NLL E_q[-log p(x | z)] (metric `recon`), the ELBO and the k-sample NLL are those of that decoder,
which pixel_weight = 0 (the paper's model) never trains on: what the learned similarity gives up
in likelihood. The discriminator is an MLP over the pixels, or the network's convolutional trunk
(config.model.network) followed by its Dense layers.

Metrics: loss (the sum of the three updates' losses), elbo, recon (pixel NLL), kl,
feature_recon (L_llike), disc_loss, gen_loss, d_real (mean D(x)), d_fake (mean D of the fakes).
"""

from typing import Any, Optional, Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp
import optax

from ae.distributions import gaussians
from ae.foundations.mlp import activation, layer_dtype
from ae.models import networks, phases, variational
from ae.validation import require_number, require_widths

NAMES = ("vaegan",)
SECTION = {"disc_hidden": (512, 256), "beta": 1.0, "gamma": 1.0, "pixel_weight": 0.0,
           "adversarial_learning_rate": 2e-4, "adversarial_b1": 0.5, "margin": 0.35,
           "decoder_bias": "zero"}
EQUILIBRIUM = 0.6931471805599453   # log 2: the discriminator's cross-entropy per term at D = 1/2
PHASES = ("encoder", "decoder", "discriminator")


class FeatureDiscriminator(nn.Module):
  """x [B, D] -> (logit d(x) [B], features Dis_l(x) [B, F] of the last hidden layer): the trunk
  (if any), Dense layers `hidden` with the activation, then one linear unit."""
  hidden: Sequence[int]
  activation: str = "relu"
  trunk: Optional[nn.Module] = None
  dtype: Any = None

  @nn.compact
  def __call__(self, x):
    fn = activation(self.activation).fn
    h = x if self.trunk is None else self.trunk(x)
    for i, width in enumerate(self.hidden):
      h = fn(nn.Dense(width, **layer_dtype(self.dtype), name=f"dense_{i}")(h))
    logit = nn.Dense(1, **layer_dtype(self.dtype), name=f"dense_{len(self.hidden)}")(h)[:, 0]
    return logit.astype(jnp.float32), h.astype(jnp.float32)


def _vae_tree(params: dict) -> dict:
  """The encoder's and decoder's trees as one VAEModule parameter tree."""
  return {"params": {"encoder": params["encoder"]["params"],
                     "decoder": params["decoder"]["params"]}}


class _VAEParams:
  """A state-like view whose params are the VAE module's tree, for the inherited methods."""

  def __init__(self, state):
    self.params, self.step = _vae_tree(state.params), state.step


class VAEGAN(variational.Variational):
  """vaegan: the VAE's encoder and decoder (everything of `Variational` that reads them: the
  ELBO, the k-sample NLL, codes, samples and figures), a discriminator, three updates."""
  metric_names = ("loss", "elbo", "recon", "kl", "feature_recon", "disc_loss", "gen_loss",
                  "d_real", "d_fake", "disc_updates", "decoder_updates")
  headline = "recon"
  reconstruction_metric = "recon"

  @classmethod
  def config_sections(cls, name):
    return {name: dict(SECTION)}

  @classmethod
  def validate(cls, config):
    require_widths(config, "vaegan.disc_hidden", empty=False)
    for field in ("beta", "gamma", "pixel_weight", "margin"):
      require_number(config, f"vaegan.{field}", low=0)
    require_number(config, "vaegan.adversarial_learning_rate", low=0, low_open=True)
    require_number(config, "vaegan.adversarial_b1", low=0, high=0.999)
    variational.Variational.validate_decoder_bias(config)

  def __init__(self, config, spec):
    super().__init__(config, spec)
    m = config.model
    self.discriminator = FeatureDiscriminator(
        tuple(self.section.disc_hidden), m.activation, networks.trunk(m, spec, self.dtype),
        self.dtype)

  def phases(self) -> dict:
    s = self.section
    adversarial = optax.adam(s.adversarial_learning_rate, b1=s.adversarial_b1)
    return {"encoder": (self.optimizer(), ("encoder",)),
            "decoder": (adversarial, ("decoder",)),
            "discriminator": (adversarial, ("discriminator",))}

  def init_state(self, rng):
    vae = self.init_params(jax.random.fold_in(rng, 0))["params"]
    x = jnp.zeros((1, self.num_pixels), jnp.float32)
    params = {"encoder": {"params": vae["encoder"]}, "decoder": {"params": vae["decoder"]},
              "discriminator": self.discriminator.init(jax.random.fold_in(rng, 1), x)}
    return phases.init(params, self.phases())

  # --------------------------------------------------------------------------- the losses

  def terms(self, params, x, rng) -> dict:
    """Every term of the three losses (means over the batch) at `params`."""
    vae = _vae_tree(params)
    rng_z, rng_p = jax.random.split(rng)
    mean, logvar = self.module.apply(vae, x, method=self.module.encode)
    z = gaussians.sample(rng_z, mean, logvar, 1)[0]
    z_p = jax.random.normal(rng_p, z.shape)
    outputs = self.module.apply(vae, jnp.concatenate([z, z_p]), method=self.module.decode)
    b = x.shape[0]
    fakes = self.likelihood.mean(outputs)                              # [2B, D]
    logits, features = self.discriminator.apply(params["discriminator"],
                                                jnp.concatenate([x, fakes]))
    real_logit, recon_logit, prior_logit = logits[:b], logits[b:2 * b], logits[2 * b:]
    recon = self.likelihood.nll(x, outputs[:b])
    kl = gaussians.kl_to_standard_normal(mean, logvar)
    out = {"recon": recon, "kl": kl, "elbo": -(recon + kl),
           "feature_recon": 0.5 * jnp.sum((features[:b] - features[b:2 * b]) ** 2, -1),
           "disc_loss": jax.nn.softplus(-real_logit) + 0.5 * (
               jax.nn.softplus(recon_logit) + jax.nn.softplus(prior_logit)),
           "gen_loss": 0.5 * (jax.nn.softplus(-recon_logit) + jax.nn.softplus(-prior_logit)),
           "d_real": jax.nn.sigmoid(real_logit),
           "d_fake": 0.5 * (jax.nn.sigmoid(recon_logit) + jax.nn.sigmoid(prior_logit))}
    return {k: v.mean() for k, v in out.items()}

  def phase_losses(self, t: dict) -> dict:
    s = self.section
    pixel = s.pixel_weight * t["recon"]
    return {"encoder": s.beta * t["kl"] + t["feature_recon"] + pixel,
            "decoder": s.gamma * t["feature_recon"] + t["gen_loss"] + pixel,
            "discriminator": t["disc_loss"]}

  def train_step(self):
    table = self.phases()

    def step(state, batch, rng):
      rng_binarize, rng_terms = jax.random.split(rng)
      x = self.inputs(batch, rng_binarize, True)
      grads = {}
      for phase in PHASES:   # Every gradient at the step's starting parameters...
        def loss(own, phase=phase):
          t = self.terms({**state.params, **own}, x, rng_terms)
          return self.phase_losses(t)[phase], t
        grads[phase], metrics = jax.grad(loss, has_aux=True)(phases.own(state, table, phase))
      take = self.gates(metrics["disc_loss"])
      for phase in PHASES:   # ...then the updates the gates let through (of disjoint trees).
        after = phases.apply(state, table, phase, grads[phase])
        state = jax.tree.map(lambda a, b, t=take[phase]: jnp.where(t, a, b), after, state)
      metrics = {**metrics, "disc_updates": take["discriminator"].astype(jnp.float32),
                 "decoder_updates": take["decoder"].astype(jnp.float32)}
      return state.replace(step=state.step + 1), self._with_loss(metrics)
    return jax.jit(step, donate_argnums=0)

  def gates(self, disc_loss) -> dict:
    """Which updates this step takes: with margin m > 0, the discriminator's only while its
    cross-entropy per term, disc_loss / 2, is above log 2 - m (it is not winning), the decoder's
    only while that is below log 2 + m (the discriminator is not lost); the encoder's always.
    (The balancing rule of the VAE-GAN implementations that followed Larsen et al.; with
    margin 0 every update is taken.)"""
    m, per_term = self.section.margin, disc_loss / 2
    on = jnp.asarray(True)
    if not m:
      return {p: on for p in PHASES}
    return {"encoder": on, "discriminator": per_term > EQUILIBRIUM - m,
            "decoder": per_term < EQUILIBRIUM + m}

  def _with_loss(self, t: dict) -> dict:
    return {**t, "loss": sum(self.phase_losses(t).values())}

  def loss(self, params, batch, rng, train=True, step=None):
    """The three losses' sum at the VAE-GAN's parameters (evaluation)."""
    x = self.inputs(batch, None, False)
    metrics = self._with_loss(self.terms(params, x, rng))
    return metrics["loss"], metrics

  def eval_step(self, state, batch, rng):
    return self.loss(state.params, batch, rng, train=False)[1]

  # --------------------------------------------------------------------------- the VAE's view

  def log_importance_weights(self, state, x, labels, rng, num_samples):
    return super().log_importance_weights(_VAEParams(state), x, labels, rng, num_samples)

  def encode(self, state, x, labels=None):
    return super().encode(_VAEParams(state), x, labels)

  def encode_distribution(self, state, x, labels=None):
    return super().encode_distribution(_VAEParams(state), x, labels)

  def decode(self, state, z, labels=None):
    return super().decode(_VAEParams(state), z, labels)
