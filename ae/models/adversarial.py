"""The adversarial autoencoders (Makhzani et al. 2015): a deterministic (or Gaussian) encoder
q(z | x), a decoder p(x | z) with one of the likelihoods of `ae.distributions.likelihoods`, and
a discriminator D on the code that tells samples of the prior p(z) from codes of the data.

One training step is three updates, in order, each of its own parameters with its own Adam
(reconstruction at config.train.learning_rate; the discriminator at the section's
adversarial_learning_rate; the generator at generator_lr_factor times that):

  reconstruction  (encoder, decoder)  E_x[-log p(x | g(f(x)))]                  the NLL, nats
  discriminator   (discriminator)     E_p[softplus(-D(z))] + E_x[softplus(D(f(x)))]
                                      = -log D(z ~ p) - log(1 - D(f(x))), D = sigmoid of a logit
  generator       (encoder)           E_x[softplus(-D(f(x)))] = -log D(f(x)): fool D

At the game's balance D = 1/2 everywhere: disc_loss = 2 log 2 = 1.386, gen_loss = log 2 = 0.693
per adversarial part. Label-incorporated priors (config.aae.label_prior) give D the one-hot label
next to the code, and the prior samples of an example come from its label's part of the prior
(`ae.distributions.priors`), so each label's codes are pulled onto that part.

aae_cat, the categorical AAE (Makhzani et al., sections 5 and 6): the encoder gives a softmax
y over config.aae_cat.num_categories and a style code z; the decoder sees [y, z]. Two adversarial
parts: y against one-hot samples of the uniform categorical, z against N(0, I). With
config.data.num_labels > 0 a fourth update, supervised (encoder): the cross-entropy of y on a
batch of the labelled images (num_labels / 10 per class, drawn with config.data.label_seed); the
other images' labels are never read. With num_labels = 0 the categories are unsupervised
clusters. config.aae_cat.input_noise adds Gaussian noise to the encoder's input in every training
update (as ladder networks and improved GANs do for their classifiers); evaluation sees clean
images.

Metrics: loss (the sum of the updates' losses, so a NaN in any is seen), recon (the NLL),
disc_loss, gen_loss, and for semi-supervised runs supervised_ce (train) and accuracy (test).
"""

import jax
import jax.numpy as jnp
import optax

from ae import data
from ae.distributions import priors
from ae.errors import ConfigError
from ae.foundations.mlp import MLP
from ae.foundations.nll import categorical_nll
from ae.models import base, networks, phases
from ae.validation import (label_fields, require_choice, require_label_counts,
                           require_label_fields, require_labels, require_number, require_widths)

NAMES = ("aae", "aae_cat")
ENCODERS = ("deterministic", "gaussian")
_ADVERSARIAL = {"disc_hidden": (512, 256), "adversarial_learning_rate": 1e-3,
                "generator_lr_factor": 1.0, "adversarial_b1": 0.5}
SECTIONS = {
    "aae": {"prior": "normal", "prior_scale": 1.0, "label_prior": False,
            "encoder": "deterministic", **_ADVERSARIAL},
    "aae_cat": {"num_categories": 10, "input_noise": 0.0, **_ADVERSARIAL},
}


# params: encoder, decoder, disc_<part> for each adversarial part; opt_states: reconstruction,
# discriminator, generator (, supervised).
AdversarialState = phases.PhasedState


class Adversarial(base.Model):
  """aae and aae_cat: one encoder, one decoder, a discriminator per adversarial part."""
  metric_names = ("loss", "recon", "disc_loss", "gen_loss")   # + supervised ones per instance
  reconstruction_metric = "recon"
  headline = "recon"

  @classmethod
  def config_sections(cls, name):
    sections = {name: dict(SECTIONS[name])}
    if name == "aae_cat":
      sections["data"] = label_fields(0)
    return sections

  @classmethod
  def validate(cls, config):
    name = config.model.name
    s = config[name]
    require_widths(config, f"{name}.disc_hidden", empty=False)
    require_number(config, f"{name}.adversarial_learning_rate", low=0, low_open=True)
    require_number(config, f"{name}.generator_lr_factor", low=0, low_open=True)
    require_number(config, f"{name}.adversarial_b1", low=0)
    if not s.adversarial_b1 < 1:
      raise ConfigError(f"{name}.adversarial_b1", f"must lie in [0, 1), not {s.adversarial_b1}.")
    if name == "aae":
      require_choice(config, "aae.prior", priors.NAMES)
      require_choice(config, "aae.encoder", ENCODERS)
      require_number(config, "aae.prior_scale", low=0, low_open=True)
      if s.prior != "normal" and s.prior_scale != 1.0:
        raise ConfigError("aae.prior_scale", f"scales the normal prior only; set it to 1 for "
                          f"the {s.prior} prior.")
      if s.prior != "normal" and config.model.latent_dim != 2:
        raise ConfigError("model.latent_dim", f"the {s.prior} prior is 2-D; set it to 2, not "
                          f"{config.model.latent_dim}.")
      if not isinstance(s.label_prior, bool):
        raise ConfigError("aae.label_prior", f"must be True or False, not {s.label_prior!r}.")
      if s.label_prior and s.prior == "normal":
        raise ConfigError("aae.label_prior", "needs a prior with a part per label; set "
                          "aae.prior to mixture or swiss_roll, or label_prior to False.")
      return
    require_number(config, "aae_cat.num_categories", low=2, high=1000, integer=True)
    require_number(config, "aae_cat.input_noise", low=0)
    require_label_fields(config)

  def __init__(self, config, spec):
    super().__init__(config, spec)
    m, s = config.model, config[self.name]
    if self.name == "aae_cat":
      require_label_counts(config, spec.num_classes)
      n, k = config.data.num_labels, spec.num_classes
      if n and s.num_categories != k:
        raise ConfigError("data.num_labels", f"{n} labels are drawn evenly from {k} classes "
                          f"into {k} categories; use a multiple of {k} with "
                          f"aae_cat.num_categories={k}.")
    elif s.label_prior:
      require_labels(config, spec, "puts each label's codes on its own part of the prior")
    self.section = s
    self.categorical = self.name == "aae_cat"
    self.num_labels = config.data.num_labels if self.categorical else 0
    self.label_prior = not self.categorical and s.label_prior
    self.gaussian = not self.categorical and s.encoder == "gaussian"
    self.num_categories = s.num_categories if self.categorical else 0
    code_outputs = m.latent_dim * (2 if self.gaussian else 1) + self.num_categories
    self.encoder = networks.image_mlp(m, spec, tuple(m.hidden) + (code_outputs,),
                                       self.dtype)
    self.decoder = networks.decoder(m, spec, self.likelihood.outputs_per_pixel, self.dtype)
    if self.categorical:   # part: (its code's width, the prior's sampler)
      cat = lambda rng, labels: jax.nn.one_hot(
          jax.random.randint(rng, labels.shape, 0, self.num_categories), self.num_categories)
      style = priors.Normal(m.latent_dim)
      self.parts = {"category": (self.num_categories, cat),
                    "style": (m.latent_dim, style.sample_given_labels)}
      self.prior = style
    else:
      self.prior = priors.get(s.prior, m.latent_dim, s.prior_scale,
                              spec.num_classes or priors.NUM_PARTS)
      sampler = (self.prior.sample_given_labels if self.label_prior else
                 lambda rng, labels: self.prior.sample(rng, labels.shape[0]))
      self.parts = {"code": (m.latent_dim, sampler)}
    label_inputs = spec.num_classes if self.label_prior else 0
    self.discriminators = {p: MLP(tuple(s.disc_hidden) + (1,), m.activation, self.dtype)
                           for p in self.parts}
    self.disc_inputs = {p: w + label_inputs for p, (w, _) in self.parts.items()}
    self.metric_names = Adversarial.metric_names + (
        ("supervised_ce", "accuracy") if self.num_labels else ())
    self.labelled = None

  def attach_training_data(self, split):
    super().attach_training_data(split)
    if self.num_labels:
      self.labelled = data.labelled_subset(split, self.num_labels, self.config.data.label_seed,
                                           self.config.data.label_holdout)

  # --------------------------------------------------------------------------- state

  def phases(self) -> dict:
    """{update: (optimizer, the parameter trees it changes)}."""
    s = self.section
    adversarial = lambda lr: optax.adam(lr, b1=s.adversarial_b1)
    generator_lr = s.generator_lr_factor * s.adversarial_learning_rate
    out = {"reconstruction": (self.optimizer(), ("encoder", "decoder")),
           "discriminator": (adversarial(s.adversarial_learning_rate),
                             tuple(f"disc_{p}" for p in self.parts)),
           "generator": (adversarial(generator_lr), ("encoder",))}
    if self.num_labels:
      out["supervised"] = (self.optimizer(), ("encoder",))
    return out

  def init_state(self, rng):
    keys = jax.random.split(rng, 2 + len(self.parts))
    decoder_inputs = self.num_categories + self.config.model.latent_dim
    params = {"encoder": self.encoder.init(keys[0], jnp.zeros((1, self.num_pixels))),
              "decoder": self.decoder.init(keys[1], jnp.zeros((1, decoder_inputs)))}
    for key, (p, disc) in zip(keys[2:], self.discriminators.items()):
      params[f"disc_{p}"] = disc.init(key, jnp.zeros((1, self.disc_inputs[p])))
    return phases.init(params, self.phases())

  # --------------------------------------------------------------------------- the code

  def codes(self, params, x, rng=None) -> dict:
    """{"decoder_input", "logits" (aae_cat), and each adversarial part's code}. Given rng (in
    training), a Gaussian encoder samples z = mean + sigma eps (its mean otherwise), and
    aae_cat adds N(0, input_noise^2) noise to the encoder's input (the target stays clean)."""
    if self.categorical and rng is not None and self.section.input_noise:
      x = x + self.section.input_noise * jax.random.normal(jax.random.fold_in(rng, 7), x.shape)
    out = self.encoder.apply(params["encoder"], x)
    if self.categorical:
      logits, style = out[:, :self.num_categories], out[:, self.num_categories:]
      category = jax.nn.softmax(logits)
      return {"decoder_input": jnp.concatenate([category, style], -1), "logits": logits,
              "category": category, "style": style}
    if self.gaussian:
      mean, logvar = jnp.split(out, 2, -1)
      z = mean if rng is None else mean + jnp.exp(0.5 * logvar) * jax.random.normal(
          rng, mean.shape)
    else:
      z = out
    return {"decoder_input": z, "code": z}

  def _logit(self, params, part, z, labels):
    if self.label_prior:
      z = jnp.concatenate([z, jax.nn.one_hot(labels, self.spec.num_classes, dtype=z.dtype)], -1)
    return self.discriminators[part].apply(params[f"disc_{part}"], z)[:, 0]

  # --------------------------------------------------------------------------- the losses

  def recon_loss(self, params, x, rng):
    z = self.codes(params, x, rng)["decoder_input"]
    nll = self.likelihood.nll(x, self.decoder.apply(params["decoder"], z)).mean()
    return nll, {"recon": nll}

  def disc_loss(self, params, x, labels, rng):
    rng_code, rng_prior = jax.random.split(rng)
    codes = jax.lax.stop_gradient(self.codes(params, x, rng_code))
    total = 0.0
    for i, (part, (_, sampler)) in enumerate(self.parts.items()):
      real = sampler(jax.random.fold_in(rng_prior, i), labels)
      total += (jax.nn.softplus(-self._logit(params, part, real, labels)).mean()
                + jax.nn.softplus(self._logit(params, part, codes[part], labels)).mean())
    return total, {"disc_loss": total}

  def gen_loss(self, params, x, labels, rng):
    codes = self.codes(params, x, rng)
    total = sum(jax.nn.softplus(-self._logit(params, p, codes[p], labels)).mean()
                for p in self.parts)
    return total, {"gen_loss": total}

  def supervised_loss(self, params, rng):
    images, labels = self.labelled
    idx = jax.random.randint(rng, (self.config.train.batch_size,), 0, labels.shape[0])
    x = data.preprocess(jnp.asarray(images)[idx])
    logits = self.codes(params, x, jax.random.fold_in(rng, 1))["logits"]
    ce = categorical_nll(jnp.asarray(labels)[idx], logits).mean()
    return ce, {"supervised_ce": ce}

  def update(self, state, phase: str, loss_fn, *args):
    """One Adam step of `phase` on its own parameter trees; every other tree is untouched."""
    return phases.update(state, self.phases(), phase, loss_fn, *args)

  def _labels(self, batch):
    """The labels the step may read: only a label-incorporated prior's."""
    n = batch["image"].shape[0]
    return batch["label"] if self.label_prior else jnp.zeros((n,), jnp.int32)

  def train_step(self):
    def step(state, batch, rng):
      keys = jax.random.split(rng, 5)
      x = self.inputs(batch, keys[0], True)
      labels = self._labels(batch)
      state, metrics = self.update(state, "reconstruction", self.recon_loss, x, keys[1])
      state, m = self.update(state, "discriminator", self.disc_loss, x, labels, keys[2])
      metrics.update(m)
      state, m = self.update(state, "generator", self.gen_loss, x, labels, keys[3])
      metrics.update(m)
      if self.num_labels:
        state, m = self.update(state, "supervised", self.supervised_loss, keys[4])
        metrics.update(m)
      metrics["loss"] = sum(metrics.values())
      return state.replace(step=state.step + 1), metrics
    return jax.jit(step, donate_argnums=0)

  def eval_step(self, state, batch, rng):
    x = self.inputs(batch, None, False)
    labels = self._labels(batch)
    keys = jax.random.split(rng, 3)
    metrics = {**self.recon_loss(state.params, x, None)[1],
               **self.disc_loss(state.params, x, labels, keys[0])[1],
               **self.gen_loss(state.params, x, labels, keys[1])[1]}
    metrics["loss"] = sum(metrics.values())
    if self.num_labels:
      logits = self.codes(state.params, x)["logits"]
      metrics["accuracy"] = jnp.mean(jnp.argmax(logits, -1) == batch["label"])
    return metrics

  # --------------------------------------------------------------------------- codes

  def encode(self, state, x, labels=None):
    """The decoder's input: z (the mean of a Gaussian encoder), or [softmax y, style z]."""
    return self.codes(state.params, x)["decoder_input"]

  def decode(self, state, z, labels=None):
    return self.decoder.apply(state.params["decoder"], z)

  def categories(self, state, x):
    return jnp.argmax(self.codes(state.params, x)["logits"], -1)

  def evaluation_metrics(self, state, train, test) -> dict:
    from ae.evaluation import adversarial
    return adversarial.evaluation_metrics(self, state, test)

  def figures(self, state, split):
    from ae.evaluation import adversarial
    return adversarial.figures(self, state, split)
