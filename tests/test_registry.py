"""Adding a model is one class and one `register` call: a tiny linear autoencoder defined here,
with a train state of its own (two parameter trees, two optimizers, two updates a step), trains,
checkpoints, resumes and evaluates through the same core as the built-in families."""

import os

import flax.struct
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from tests.conftest import crash_after
from ae import io, models
from ae.errors import ConfigError
from ae.evaluation import figures, metrics
from ae.models import base
from ae.training import config as config_lib, loop


class TinyState(flax.struct.PyTreeNode):
  step: jax.Array
  encoder: dict
  decoder: dict
  encoder_opt: optax.OptState
  decoder_opt: optax.OptState


class TinyLinear(base.Model):
  """z = x W + b, x_hat = z V + c, Bernoulli logits; the decoder steps first, then the encoder
  (two updates a step, each touching only its own parameters, each with its own Adam)."""
  metric_names = ("loss", "code_norm")

  @classmethod
  def config_sections(cls, name):
    return {name: {"decoder_lr_scale": 1.0}}

  @classmethod
  def validate(cls, config):
    config_lib.require_number(config, "tiny_linear.decoder_lr_scale", low=0, low_open=True)

  def _optimizers(self):
    lr = self.config.train.learning_rate
    return optax.adam(lr), optax.adam(lr * self.config.tiny_linear.decoder_lr_scale)

  def init_state(self, rng):
    k1, k2 = jax.random.split(rng)
    d, k = self.num_pixels, self.config.model.latent_dim
    encoder = {"w": jax.random.normal(k1, (d, k)) / np.sqrt(d), "b": jnp.zeros(k)}
    decoder = {"w": jax.random.normal(k2, (k, d)) / np.sqrt(k), "b": jnp.zeros(d)}
    enc_tx, dec_tx = self._optimizers()
    return TinyState(jnp.zeros((), jnp.int32), encoder, decoder, enc_tx.init(encoder),
                     dec_tx.init(decoder))

  def _loss(self, encoder, decoder, batch, rng, train):
    x = self.inputs(batch, rng, train)
    z = x @ encoder["w"] + encoder["b"]
    nll = self.likelihood.nll(x, z @ decoder["w"] + decoder["b"]).mean()
    return nll, {"loss": nll, "code_norm": jnp.mean(jnp.sum(z ** 2, -1))}

  def train_step(self):
    enc_tx, dec_tx = self._optimizers()

    @jax.jit
    def train_step(state, batch, rng):
      grad_dec, _ = jax.grad(lambda d: self._loss(state.encoder, d, batch, rng, True),
                             has_aux=True)(state.decoder)
      updates, dec_opt = dec_tx.update(grad_dec, state.decoder_opt, state.decoder)
      decoder = optax.apply_updates(state.decoder, updates)
      grad_enc, m = jax.grad(lambda e: self._loss(e, decoder, batch, rng, True),
                             has_aux=True)(state.encoder)
      updates, enc_opt = enc_tx.update(grad_enc, state.encoder_opt, state.encoder)
      encoder = optax.apply_updates(state.encoder, updates)
      return TinyState(state.step + 1, encoder, decoder, enc_opt, dec_opt), m
    return train_step

  def eval_step(self, state, batch, rng):
    return self._loss(state.encoder, state.decoder, batch, rng, False)[1]

  def encode(self, state, x, labels=None):
    return x @ state.encoder["w"] + state.encoder["b"]

  def decode(self, state, z, labels=None):
    return z @ state.decoder["w"] + state.decoder["b"]


@pytest.fixture
def registered():
  models.register("tiny_linear", TinyLinear)
  yield
  models.unregister("tiny_linear")


def test_a_model_defined_here_goes_through_the_whole_core(tmp_path, tiny_data_dir, registered):
  config = config_lib.make("tiny_linear", **{
      "data.data_dir": tiny_data_dir, "model.latent_dim": 8, "train.epochs": 4,
      "train.batch_size": 32, "train.learning_rate": 2e-2})
  assert config.tiny_linear.decoder_lr_scale == 1.0
  straight = loop.train_and_evaluate(config, str(tmp_path / "straight"))
  h = straight.history
  assert h[-1]["train_loss"] < 0.9 * h[0]["train_loss"]
  assert {"train_code_norm", "test_code_norm"} <= set(h[0])
  assert int(straight.state.step) == 4 * (256 // 32)

  with pytest.raises(KeyboardInterrupt):
    loop.train_and_evaluate(config, str(tmp_path / "resumed"), on_epoch=crash_after(2))
  resumed = loop.train_and_evaluate(config, str(tmp_path / "resumed"))
  for a, b in zip(jax.tree.leaves(resumed.state), jax.tree.leaves(straight.state)):
    np.testing.assert_array_equal(np.asarray(a), np.asarray(b))   # Both Adams resumed exactly.
  assert resumed.history[-1]["test_loss"] == h[-1]["test_loss"]

  workdir = str(tmp_path / "resumed")
  io.write_json(os.path.join(workdir, "config.json"), config_lib.to_dict(config))
  _, model, state = loop.restore_run(workdir)
  assert isinstance(model, TinyLinear) and int(state.step) == int(straight.state.step)
  evaluator = metrics.Evaluator(model, state)
  test = resumed.splits["test"]
  assert evaluator.encode(test.images).shape == (test.size, 8)
  assert evaluator.reconstruction_nll(test.images) == pytest.approx(h[-1]["test_loss"], rel=1e-4)
  assert set(figures.run_figures(model, state, resumed.history, test)) == {
      "reconstructions", "learning_curves"}


def test_its_config_section_is_validated_and_unknown_names_are_refused(registered):
  with pytest.raises(ConfigError) as err:
    config_lib.make("tiny_linear", **{"tiny_linear.decoder_lr_scale": 0.0})
  assert err.value.field == "tiny_linear.decoder_lr_scale"
  models.unregister("tiny_linear")
  with pytest.raises(ConfigError, match="'tiny_linear' does not exist"):
    config_lib.make("tiny_linear")
