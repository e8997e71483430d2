"""Images of any shape: the 8-bit likelihoods against brute force, the convolutional networks'
shapes and independence, the user's folders and npz files, tfds's other datasets (mock data),
and every family with every network."""

import os

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
import pytest
from PIL import Image

from ae import data, models
from ae.data import user_images
from ae.distributions import eight_bit, likelihoods
from ae.errors import ConfigError, DataError
from ae.models import networks
from ae.training import config as config_lib


# ----------------------------------------------------------------------------- 8-bit likelihoods


def _logistic_brute_force(value, logits, mu, log_s):
  """P(value) of one pixel, float64, straight from the logistic CDF over the bin's edges."""
  cdf = lambda t: 1.0 / (1.0 + np.exp(-t))
  v = 2 * value / 255.0 - 1
  pi = np.exp(logits - logits.max())
  pi /= pi.sum()
  s = np.exp(log_s)
  upper = np.where(value == 255, 1.0, cdf((v + 1 / 255.0 - mu) / s))
  lower = np.where(value == 0, 0.0, cdf((v - 1 / 255.0 - mu) / s))
  return float(np.sum(pi * (upper - lower)))


@pytest.mark.parametrize("components", [1, 3])
def test_discretized_logistic_sums_to_one_and_matches_brute_force(components):
  rng = np.random.default_rng(components)
  k = components
  logits, mu = rng.normal(size=k), rng.uniform(-0.9, 0.9, k)
  log_s = rng.uniform(-4.0, -1.0, k)
  raw = eight_bit.LOG_SCALE_MIN + np.log(np.expm1(log_s - eight_bit.LOG_SCALE_MIN))
  out = np.concatenate([logits, mu, raw])[None].repeat(256, 0)   # [256, 3K], float64
  x = (np.arange(256) / 255.0)[:, None]                           # D = 1
  with jax.enable_x64(True):
    log_p = np.asarray(eight_bit.logistic_log_probs(jnp.asarray(x, jnp.float64),
                                                    jnp.asarray(out, jnp.float64), k))[:, 0]
  brute = np.array([_logistic_brute_force(v, logits, mu, log_s) for v in range(256)])
  np.testing.assert_allclose(np.exp(log_p), brute, rtol=1e-9, atol=1e-15)
  assert abs(np.exp(log_p).sum() - 1.0) < 1e-9
  # float32 keeps a far bin finite where the plain difference of sigmoids underflows to 0.
  far = eight_bit.logistic_log_probs(jnp.ones((1, 1)) * 0.0, jnp.asarray(
      [[0.0] * k + [0.99] * k + [-6.5] * k]), k)
  assert np.isfinite(float(far[0, 0])) and float(far[0, 0]) < -100


def test_categorical256_is_log_softmax_and_bits_per_dim():
  rng = np.random.default_rng(0)
  d = 5
  logits = rng.normal(size=(2, 256, d)).astype(np.float32)
  values = rng.integers(0, 256, (2, d))
  x = values / 255.0
  nll = np.asarray(eight_bit.categorical_nll(jnp.asarray(x, jnp.float32),
                                             jnp.asarray(logits.reshape(2, -1))))
  logp = logits - np.log(np.exp(logits).sum(1, keepdims=True))
  want = -np.array([sum(logp[b, values[b, i], i] for i in range(d)) for b in range(2)])
  np.testing.assert_allclose(nll, want, rtol=1e-5)
  assert eight_bit.bits_per_dim(np.log(256.0) * 3072, 3072) == pytest.approx(8.0)
  lik = likelihoods.get("categorical256")
  assert lik.outputs_per_pixel == 256
  mean = np.asarray(lik.mean(jnp.asarray(logits.reshape(2, -1))))
  np.testing.assert_allclose(mean, (np.exp(logp) * (np.arange(256) / 255.0)[None, :, None]).sum(1),
                             rtol=1e-5)


def test_eight_bit_samples_are_on_the_grid():
  out = jnp.zeros((4, 3 * 2 * 6))
  for lik in (likelihoods.get("discretized_logistic", components=2),):
    s = np.asarray(lik.sample(jax.random.PRNGKey(0), out))
    assert s.shape == (4, 6)
    np.testing.assert_allclose(s * 255, np.round(s * 255), atol=1e-4)


# ----------------------------------------------------------------------------- networks


def _model_config(network, channels=(4, 8), hidden=(16,)):
  return ml_collections.ConfigDict(dict(network=network, channels=channels, hidden=hidden,
                                        activation="relu", latent_dim=3))


@pytest.mark.parametrize("network", ["conv", "resnet"])
@pytest.mark.parametrize("shape", [(28, 28, 1), (32, 32, 3), (16, 24, 3)])
def test_networks_take_any_divisible_shape(network, shape):
  spec = data.Spec(shape, ("a", "b"))
  m = _model_config(network)
  enc = networks.gaussian_encoder(m, spec)
  dec = networks.decoder(m, spec, 2)
  x = jnp.ones((5, spec.num_pixels))
  pe = enc.init(jax.random.PRNGKey(0), x)
  mean, logvar = enc.apply(pe, x)
  assert mean.shape == logvar.shape == (5, 3)
  pd = dec.init(jax.random.PRNGKey(1), mean)
  assert dec.apply(pd, mean).shape == (5, 2 * spec.num_pixels)


def test_to_flat_puts_each_parameter_in_its_own_block():
  out = np.arange(2 * 2 * 3 * 2 * 3).reshape(2, 2, 3, 6)   # [B, H, W, P C] with P = 2, C = 3
  flat = np.asarray(networks.to_flat(jnp.asarray(out), 2))
  d = 2 * 3 * 3
  np.testing.assert_array_equal(flat[:, :d], out[..., :3].reshape(2, -1))
  np.testing.assert_array_equal(flat[:, d:], out[..., 3:].reshape(2, -1))


def test_depth_to_space_is_the_pixel_shuffle():
  h = np.random.default_rng(0).normal(size=(2, 3, 4, 4 * 5)).astype(np.float32)
  out = np.asarray(networks.depth_to_space(jnp.asarray(h), 5))
  assert out.shape == (2, 6, 8, 5)
  for y in range(3):
    for x in range(4):
      for i in range(2):
        for j in range(2):
          block = h[:, y, x, (2 * i + j) * 5:(2 * i + j + 1) * 5]
          np.testing.assert_array_equal(out[:, 2 * y + i, 2 * x + j], block)


def test_a_size_the_network_cannot_halve_is_refused_with_sizes_that_work():
  with pytest.raises(ConfigError, match=r"28x28 images cannot be halved 3 times .* "
                     r"multiples of 8, such as 32x32 \(set data.image_size\)"):
    networks.decoder(_model_config("conv", (8, 16, 32)), data.Spec((28, 28, 1)), 1)
  with pytest.raises(ConfigError, match="take images"):
    networks.trunk(_model_config("conv"), data.Spec((50,)))


@pytest.mark.parametrize("network", ["conv", "resnet"])
def test_examples_stay_independent(network):
  """No batch statistics: example i's output does not depend on example j's input."""
  spec = data.Spec((8, 8, 3))
  enc = networks.gaussian_encoder(_model_config(network), spec)
  x = jax.random.uniform(jax.random.PRNGKey(0), (3, spec.num_pixels))
  params = enc.init(jax.random.PRNGKey(1), x)
  jac = jax.jacobian(lambda v: enc.apply(params, v)[0])(x)       # [3, k, 3, D]
  for i in range(3):
    for j in range(3):
      if i != j:
        assert float(jnp.abs(jac[i, :, j]).max()) == 0.0
  assert float(jnp.abs(jac[0, :, 0]).max()) > 0


FAMILIES = ["ae", "dae", "sae", "cae", "vae", "iwae", "cvae", "aae", "aae_cat", "m2"]


@pytest.mark.parametrize("network", ["conv", "resnet"])
@pytest.mark.parametrize("name", FAMILIES)
def test_every_family_trains_a_step_with_every_network(name, network):
  overrides = {"model.network": network, "model.channels": (4, 8), "model.hidden": (8,),
               "model.latent_dim": 2, "train.batch_size": 4}
  if name == "cae":
    overrides.update({"cae.jacobian": "projection"})
  if name == "aae_cat":
    overrides.update({"data.num_labels": 4, "aae_cat.num_categories": 2})
  if name == "m2":
    overrides.update({"data.num_labels": 4})
  config = config_lib.make(name, **overrides)
  rng = np.random.default_rng(0)
  images = rng.integers(0, 256, (8, 8, 8, 3)).astype(np.uint8)
  split = data.Split(images, (np.arange(8) % 2).astype(np.int32), "t", ("a", "b"))
  model = models.build(config, split.spec)
  model.attach_training_data(split)
  state = jax.jit(model.init_state)(jax.random.PRNGKey(0))
  batch = {"image": jnp.asarray(images[:4]), "label": jnp.asarray(split.labels[:4])}
  step = model.train_step()
  state, metrics = step(state, batch, jax.random.PRNGKey(1))
  assert all(np.isfinite(float(v)) for v in metrics.values()), metrics
  images_out = jax.jit(model.summary_images)(state, split)
  assert images_out["reconstructions"].shape == (16, 64, 3)


def test_a_family_that_needs_labels_refuses_unlabelled_data():
  config = config_lib.make("cvae")
  with pytest.raises(ConfigError, match="cvae conditions on the label, but the fashion_mnist "
                     "data has no labels"):
    models.build(config, data.Spec((28, 28, 1)))
  with pytest.raises(ConfigError, match="drawn evenly from 3 classes; use a multiple of 3"):
    models.build(config_lib.make("m2", **{"data.num_labels": 10}),
                 data.Spec((28, 28, 1), ("a", "b", "c")))


# ----------------------------------------------------------------------------- user images


def _png(path, array):
  os.makedirs(os.path.dirname(path), exist_ok=True)
  Image.fromarray(array).save(path)


def _classes_folder(root, n=6, size=(12, 10)):
  rng = np.random.default_rng(0)
  for c in ("cat", "dog"):
    for i in range(n):
      _png(os.path.join(root, c, f"{i}.png"),
           rng.integers(0, 256, (*size, 3)).astype(np.uint8))


def test_folder_of_class_directories_splits_by_seed(tmp_path):
  root = str(tmp_path / "imgs")
  _classes_folder(root)
  train = data.load("folder", "train", root, test_fraction=0.25, split_seed=3)
  test = data.load("folder", "test", root, test_fraction=0.25, split_seed=3)
  assert train.class_names == test.class_names == ("cat", "dog")
  assert train.images.shape == (9, 12, 10, 3) and test.images.shape == (3, 12, 10, 3)
  again = data.load("folder", "test", root, test_fraction=0.25, split_seed=3)
  np.testing.assert_array_equal(again.images, test.images)
  everything = np.concatenate([train.images, test.images]).reshape(12, -1)
  assert len({row.tobytes() for row in everything}) == 12   # disjoint, nothing lost
  small = data.load("folder", "train", root, size=8, channels=1, test_fraction=0.25)
  assert small.images.shape == (9, 8, 8, 1) and small.spec.num_classes == 2


def test_written_folder_round_trips(tmp_path):
  images = np.random.default_rng(1).integers(0, 256, (6, 4, 4, 1)).astype(np.uint8)
  split = data.Split(images, np.array([0, 1, 0, 1, 1, 0], np.int32), "t", ("a", "b/c"))
  user_images.write_folder(split, str(tmp_path / "train"))
  user_images.write_folder(split, str(tmp_path / "test"), colour_seed=0)
  back = data.load("folder", "train", str(tmp_path), channels=1)
  assert back.class_names == ("a", "b_c")
  order = np.argsort(split.labels, kind="stable")
  np.testing.assert_array_equal(back.images, images[order])
  coloured = data.load("folder", "test", str(tmp_path))
  assert coloured.images.shape == (6, 4, 4, 3)
  assert not np.array_equal(coloured.images[..., 0], coloured.images[..., 1])


@pytest.mark.parametrize("fault, message", [
    ("empty", "holds no PNG or JPEG files"),
    ("truncated", "dog/1.png is not a readable image"),
    ("mixed", r"is 9 wide and 12 high but .* is 10 wide and 12 high; set "
              r"--config.data.image_size"),
    ("both", "holds both image files"),
])
def test_bad_folders_are_named_with_the_fix(tmp_path, fault, message):
  root = str(tmp_path / "imgs")
  if fault == "empty":
    os.makedirs(root)
  else:
    _classes_folder(root)
  if fault == "truncated":
    path = os.path.join(root, "dog", "1.png")
    blob = open(path, "rb").read()
    open(path, "wb").write(blob[:len(blob) // 2])
  if fault == "mixed":
    _png(os.path.join(root, "dog", "9.png"), np.zeros((12, 9, 3), np.uint8))
  if fault == "both":
    _png(os.path.join(root, "stray.png"), np.zeros((12, 10, 3), np.uint8))
  with pytest.raises(DataError) as err:
    data.load("folder", "train", root)
  assert __import__("re").search(message, err.value.worded("--config.data.data_dir")), err.value


def test_npz_images_labels_and_faults(tmp_path):
  path = str(tmp_path / "d.npz")
  images = np.random.default_rng(2).integers(0, 256, (10, 6, 6, 3)).astype(np.uint8)
  np.savez(path, images=images, labels=np.arange(10) % 3)
  train = data.load("npz", "train", path, test_fraction=0.2)
  test = data.load("npz", "test", path, test_fraction=0.2)
  assert train.size == 8 and test.size == 2 and train.class_names == ("0", "1", "2")
  np.savez(path, images=images, labels=np.arange(9))
  with pytest.raises(DataError, match=r"'labels' has shape \(9,\).*10 integers, one per image"):
    data.load("npz", "train", path)
  np.savez(path, pixels=images)
  with pytest.raises(DataError, match="has no 'images' array"):
    data.load("npz", "train", path)
  open(path, "wb").write(b"not a zip")
  with pytest.raises(DataError, match="is not a readable .npz file"):
    data.load("npz", "train", path)


# ----------------------------------------------------------------------------- tfds


@pytest.mark.parametrize("name, shape, classes", [
    ("cifar10", (32, 32, 3), 10), ("svhn_cropped", (32, 32, 3), 10),
    ("celeb_a", (64, 64, 3), 0), ("binarized_mnist", (28, 28, 1), 0)])
def test_tfds_datasets_on_mock_data(name, shape, classes):
  import tensorflow_datasets as tfds
  with tfds.testing.mock_data(num_examples=6):
    s = data.load(name, "test")
  assert s.images.shape == (6, *shape) and s.images.dtype == np.uint8
  assert s.spec.num_classes == classes
  if classes:
    assert s.labels.min() >= 0 and s.labels.max() < classes
  else:
    assert (s.labels == -1).all()
  if name == "binarized_mnist":
    assert set(np.unique(s.images)) <= {0, 255}
