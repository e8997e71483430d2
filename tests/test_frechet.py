"""The Fréchet distance against scipy and closed forms, its classifier, its samples, and the
Inception path on a stand-in SavedModel."""

import numpy as np
import pytest
import scipy.linalg

from ae import data, models
from ae.evaluation import frechet, generative
from ae.training import config as config_lib, loop
from tests.conftest import MNIST_SPEC, make_images


def _random_gaussian(rng, d):
  a = rng.normal(size=(d, d))
  return rng.normal(size=d), a @ a.T / d + 0.1 * np.eye(d)


def test_distance_agrees_with_scipy_sqrtm():
  rng = np.random.default_rng(0)
  for d in (1, 3, 16):
    (m1, s1), (m2, s2) = _random_gaussian(rng, d), _random_gaussian(rng, d)
    cross = scipy.linalg.sqrtm(s1 @ s2).real
    expected = ((m1 - m2) ** 2).sum() + np.trace(s1 + s2 - 2 * cross)
    assert frechet.distance(m1, s1, m2, s2) == pytest.approx(expected, rel=1e-8, abs=1e-10)
    assert frechet.distance(m1, s1, m1, s1) == pytest.approx(0, abs=1e-8)


def test_distance_of_diagonal_gaussians_is_the_closed_form():
  a, b = np.array([1.0, 4.0, 9.0]), np.array([4.0, 1.0, 0.25])
  mu = np.array([1.0, -2.0, 0.5])
  expected = (mu ** 2).sum() + ((np.sqrt(a) - np.sqrt(b)) ** 2).sum()   # 5.25 + 1 + 1 + 6.25
  assert frechet.distance(mu, np.diag(a), np.zeros(3), np.diag(b)) == pytest.approx(expected)
  assert expected == pytest.approx(13.5)


def test_feature_distance_of_samples_approaches_the_mean_shift():
  rng = np.random.default_rng(1)
  x = rng.normal(size=(20000, 4))
  y = rng.normal(size=(20000, 4)) + np.array([3.0, 0, 0, 0])
  assert frechet.feature_distance(x, y) == pytest.approx(9.0, abs=0.1)
  with pytest.raises(ValueError, match="need features"):
    frechet.statistics(np.ones(5))


def test_classifier_learns_the_bars_and_separates_shifted_images():
  images, labels = make_images(np.random.default_rng(2), 600)
  train = data.Split(images[:500, ..., None], labels[:500].astype(np.int32),
                     class_names=tuple(str(i) for i in range(10)))
  test = data.Split(images[500:, ..., None], labels[500:].astype(np.int32),
                    class_names=train.class_names)
  features, accuracy = frechet.fit_classifier(train, steps=60)
  assert accuracy(test) > 0.9   # Ten well-separated classes of bars; chance is 0.1.
  real = data.preprocess(test.images)
  same = frechet.feature_distance(features(real[:50]), features(real[50:]))
  noise = np.random.default_rng(3).random(real.shape).astype(np.float32)
  assert features(real).shape == (100, 128)
  assert frechet.feature_distance(features(real), features(noise)) > 10 * same
  with pytest.raises(ValueError, match="needs labelled images"):
    frechet.fit_classifier(data.Split(images[:10, ..., None], -np.ones(10, np.int32)))


@pytest.mark.parametrize("name", ["vae", "aae"])
def test_prior_samples_are_images_from_the_model_prior(name):
  config = config_lib.make(name, **{"model.hidden": (8,), "model.latent_dim": 2})
  model = models.build(config, MNIST_SPEC)
  state = loop.create_state(model)
  x = generative.prior_samples(model, state, 7, batch_size=3)
  assert x.shape == (7, 784) and x.min() >= 0 and x.max() <= 1
  np.testing.assert_allclose(x, generative.prior_samples(model, state, 7), atol=1e-6)  # Seeded.


def test_inception_features_read_a_saved_model(tmp_path):
  tf = pytest.importorskip("tensorflow")

  class Pool(tf.Module):
    @tf.function(input_signature=[tf.TensorSpec([None, 299, 299, 3], tf.float32)])
    def __call__(self, images):
      return {"pool": tf.reduce_mean(images, axis=(1, 2))}

  module = Pool()
  tf.saved_model.save(module, str(tmp_path), signatures={"serving_default": module.__call__})
  features = frechet.inception_features(str(tmp_path), (28, 28, 1))
  x = np.full((2, 784), 0.75, np.float32)
  out = features(x)
  assert out.shape == (2, 3)
  np.testing.assert_allclose(out, 0.5, atol=1e-5)   # 0.75 -> 2 * 0.75 - 1, on every channel.
