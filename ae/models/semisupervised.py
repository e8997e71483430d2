"""M2 (Kingma et al. 2014): the conditional VAE with a classifier q(y | x), trained on a few
labelled images and many unlabelled ones, term by term (nats per example).

  p(y) = 1/10,  p(z) = N(0, I),  p(x | y, z)            the generative model
  q(y | x) = softmax(classifier(x)),  q(z | x, y) = N(mu(x, y), diag(sigma^2(x, y)))
  L(x, y) = E_q(z|x,y)[-log p(x | y, z)] + KL(q(z | x, y) || p(z)) - log p(y)
            (-ELBO of a labelled pair: an upper bound on -log p(x, y))
  U(x)    = sum_y q(y | x) L(x, y) - H(q(y | x))
            (-ELBO of an unlabelled image, its label marginalized: an upper bound on -log p(x))
  loss    = mean_unlabelled U + mean_labelled L + alpha * mean_labelled [-log q(y | x)]

The sum over y runs over all ten labels at once: x is tiled ten times, every (x, y) pair is
encoded and decoded, and the [10, B] matrix of L is weighted by q(y | x). One z noise draw per
image is shared by its ten labels (common random numbers). The labelled images are
config.data.num_labels / 10 per class, drawn with config.data.label_seed
(`ae.data.labelled_indices`); each step reads a batch of them. The training batch's own labels
are never read. With num_labels = 0 (and alpha = 0) M2 is trained without labels.
config.m2.classifier_noise adds Gaussian noise to the classifier's input in training (a
regularizer of the 100-label classifier, as in ladder networks); evaluation sees clean images.

config.m2.shared_layer: the classifier's first hidden layer is the encoder's, on the image alone.
The encoder's first layer sees [x, y]: h = act(W_x x + W_y y + b); the classifier uses
act(W_x x + b), then its own layers to the ten logits. W_x is then trained by the bound of every
image, labelled or not, as well as by the 100 labels (as in Berkhahn et al. 2019's shared
encoder); without it the classifier is a separate MLP, as in Kingma et al.

Metrics: loss, unlabelled_bound (mean U), recon (E_q(y|x) of the reconstruction NLL), kl,
labelled_bound and supervised_ce (train), accuracy (test: argmax q(y | x)).
"""

import math

import jax
import jax.numpy as jnp
import numpy as np

from ae import data
from ae.distributions import gaussians
from ae.errors import ConfigError
from ae.foundations.mlp import MLP, activation
from ae.foundations.nll import categorical_nll
from ae.models import base, networks
from ae.models.variational import VAEModule
from ae.validation import (label_fields, require_label_counts, require_label_fields,
                           require_labels, require_number)

NAMES = ("m2",)


class M2(base.Model):
  """m2: a classifier, a label-conditioned Gaussian encoder and decoder, one Adam."""
  metric_names = ("loss", "unlabelled_bound", "recon", "kl")   # + labelled ones per instance
  reconstruction_metric = "recon"
  headline = "unlabelled_bound"

  @classmethod
  def config_sections(cls, name):
    return {"m2": {"alpha": 10.0, "classifier_noise": 0.0, "shared_layer": False},
            "data": label_fields(100)}

  @classmethod
  def validate(cls, config):
    require_number(config, "m2.alpha", low=0)
    require_number(config, "m2.classifier_noise", low=0)
    require_label_fields(config)

  def __init__(self, config, spec):
    super().__init__(config, spec)
    m = config.model
    require_labels(config, spec, "classifies into the data's classes")
    require_label_counts(config, spec.num_classes)
    if config.m2.shared_layer and m.network != "mlp":
      raise ConfigError("m2.shared_layer", "shares the MLP encoder's first layer; set it to "
                        "False for a convolutional network.")
    self.num_classes = k = spec.num_classes
    self.log_prior_y = -math.log(k)
    self.num_labels = config.data.num_labels
    self.alpha = config.m2.alpha
    self.vae = VAEModule(encoder=networks.gaussian_encoder(m, spec, self.dtype),
                         decoder=networks.decoder(m, spec, self.likelihood.outputs_per_pixel,
                                                          self.dtype),
                         num_classes=k)
    self.classifier = networks.image_mlp(m, spec, tuple(m.hidden) + (k,), self.dtype)
    self.shared = bool(config.m2.shared_layer)
    self.head = MLP(tuple(m.hidden[1:]) + (k,), m.activation, self.dtype)
    self.metric_names = M2.metric_names + (
        ("labelled_bound", "supervised_ce", "accuracy") if self.num_labels else ())
    self.labelled = None

  def attach_training_data(self, split):
    super().attach_training_data(split)
    if self.num_labels:
      self.labelled = data.labelled_subset(split, self.num_labels, self.config.data.label_seed,
                                           self.config.data.label_holdout)

  def init_params(self, rng):
    k1, k2 = jax.random.split(rng)
    x = jnp.zeros((1, self.num_pixels))
    params = {"vae": self.vae.init(k1, x, jnp.zeros((1,), jnp.int32))}
    if self.shared:
      params["classifier"] = self.head.init(k2, jnp.zeros((1, self.config.model.hidden[0])))
    else:
      params["classifier"] = self.classifier.init(k2, x)
    return params

  # --------------------------------------------------------------------------- the bounds

  def neg_elbo(self, params, x, y, eps):
    """(L(x, y), its reconstruction NLL, its KL) per pair: x [N, D], y int [N], eps [N, k]."""
    mean, logvar = self.vae.apply(params["vae"], x, y, method=self.vae.encode)
    z = mean + jnp.exp(0.5 * logvar) * eps
    recon = self.likelihood.nll(x, self.vae.apply(params["vae"], z, y, method=self.vae.decode))
    kl = gaussians.kl_to_standard_normal(mean, logvar)
    return recon + kl - self.log_prior_y, recon, kl

  def class_log_probs(self, params, x, rng=None):
    """log q(y | x) [N, K]; given rng (training), the classifier sees x plus N(0, s^2) noise,
    s = config.m2.classifier_noise. With m2.shared_layer its first layer is the encoder's x-part
    (the rows of the encoder's first kernel that multiply the image)."""
    noise = self.config.m2.classifier_noise
    if rng is not None and noise:
      x = x + noise * jax.random.normal(rng, x.shape)
    if not self.shared:
      return jax.nn.log_softmax(self.classifier.apply(params["classifier"], x))
    first = params["vae"]["params"]["encoder"]["mlp"]["dense_0"]
    hidden = activation(self.config.model.activation).fn(
        x @ first["kernel"][:x.shape[-1]] + first["bias"])
    return jax.nn.log_softmax(self.head.apply(params["classifier"], hidden))

  def unlabelled_bound(self, params, x, eps, rng=None):
    """(U(x), E_q(y|x) recon, E_q(y|x) KL) per image: every label at once, weighted by q(y | x)."""
    b, k = x.shape[0], self.num_classes
    ys = jnp.repeat(jnp.arange(k), b)                               # y-major: row y * B + i
    terms = self.neg_elbo(params, jnp.tile(x, (k, 1)), ys, jnp.tile(eps, (k, 1)))
    log_q = self.class_log_probs(params, x, rng)                     # [B, K]
    q = jnp.exp(log_q)
    weighted = [jnp.sum(q * t.reshape(k, b).T, -1) for t in terms]
    entropy = -jnp.sum(q * log_q, -1)
    return weighted[0] - entropy, weighted[1], weighted[2]

  def loss(self, params, batch, rng, train=True, step=None):
    del step
    keys = jax.random.split(rng, 6)
    x = self.inputs(batch, keys[0], train)
    eps = jax.random.normal(keys[1], (x.shape[0], self.config.model.latent_dim))
    u, recon, kl = self.unlabelled_bound(params, x, eps, keys[4] if train else None)
    metrics = {"unlabelled_bound": u.mean(), "recon": recon.mean(), "kl": kl.mean()}
    loss = metrics["unlabelled_bound"]
    if self.num_labels and train:
      images, labels = self.labelled
      idx = jax.random.randint(keys[2], (x.shape[0],), 0, labels.shape[0])
      xl, yl = self.inputs({"image": jnp.asarray(images)[idx]}, keys[3], True), \
          jnp.asarray(labels)[idx]
      bound = self.neg_elbo(params, xl, yl, jax.random.normal(keys[3], eps.shape))[0].mean()
      ce = categorical_nll(yl, self.class_log_probs(params, xl, keys[5])).mean()
      metrics.update(labelled_bound=bound, supervised_ce=ce)
      loss = loss + bound + self.alpha * ce
    if not train and self.num_labels:
      found = jnp.argmax(self.class_log_probs(params, x), -1)
      metrics["accuracy"] = jnp.mean(found == batch["label"])
    metrics["loss"] = loss
    return loss, metrics

  # --------------------------------------------------------------------------- codes

  def categories(self, state, x):
    return jnp.argmax(self.class_log_probs(state.params, x), -1)

  def encode(self, state, x, labels=None):
    """The posterior mean of z under the predicted label (the label's own code is its class)."""
    y = self.categories(state, x)
    return self.vae.apply(state.params["vae"], x, y, method=self.vae.encode)[0]

  def decode(self, state, z, labels=None):
    labels = jnp.zeros(z.shape[0], jnp.int32) if labels is None else labels
    return self.vae.apply(state.params["vae"], z, labels, method=self.vae.decode)

  def reconstruct(self, state, x, labels=None):
    y = self.categories(state, x)
    z = self.vae.apply(state.params["vae"], x, y, method=self.vae.encode)[0]
    return self.decode(state, z, y)

  def evaluation_metrics(self, state, train, test) -> dict:
    from ae.evaluation import adversarial
    found = adversarial.categories(self, state, test.images)
    out = {"cluster_accuracy": adversarial.cluster_accuracy(found, test.labels,
                                                            self.num_classes, self.num_classes)}
    if self.num_labels:
      out.update(test_accuracy=float(np.mean(found == np.asarray(test.labels))),
                 num_labels=self.num_labels, label_seed=self.config.data.label_seed)
    return out

  def figures(self, state, split):
    """Conditional generation: each label (row) decoded with the same ten z ~ N(0, I)."""
    from ae.evaluation import plots
    z = jax.random.normal(jax.random.PRNGKey(0), (10, self.config.model.latent_dim))
    rows = [self.likelihood.mean(self.decode(state, z, jnp.full((10,), c)))
            for c in range(self.num_classes)]
    return {"conditional_samples": plots.image_grid(
        np.stack(rows), "m2: each label (row) decoded with the same ten z ~ N(0, I)",
        self.spec.class_names, shape=self.spec.shape)}
