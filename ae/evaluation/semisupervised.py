"""The semi-supervised baselines, on exactly the labelled images a semi-supervised run drew
(`ae.data.labelled_indices` with its num_labels and label_seed):

  mlp_accuracy    an MLP classifier trained on the labelled images alone: 784-hidden-10 with the
                  run's widths and activation, cross-entropy plus an L2 penalty, full-batch Adam
  probe_accuracy  Kingma et al.'s M1 with a linear classifier: a VAE trained without labels
                  encodes every image (posterior means); a logistic regression fitted on the
                  labelled images' codes classifies the test codes (`metrics.linear_probe`)
  summary         the mean and the sample standard deviation (n - 1) over label draws
"""

import jax
import jax.numpy as jnp
import numpy as np
import optax

from ae import data
from ae.evaluation import metrics
from ae.foundations import mlp, nll


def mlp_accuracy(images, labels, test_images, test_labels, hidden=(1000, 1000),
                 activation: str = "relu", steps: int = 500, learning_rate: float = 1e-3,
                 l2: float = 1e-4, seed: int = 0, num_classes: int = 10) -> float:
  """Test accuracy of an MLP classifier trained on (images, labels) only."""
  return mlp_on_features(data.preprocess(images), labels, data.preprocess(test_images),
                         test_labels, hidden, activation, steps, learning_rate, l2, seed,
                         num_classes)


def mlp_on_features(x, labels, test_x, test_labels, hidden=(1000, 1000), activation="relu",
                    steps: int = 500, learning_rate: float = 1e-3, l2: float = 1e-4,
                    seed: int = 0, num_classes: int = 10) -> float:
  """Test accuracy of an MLP classifier on float features [N, D]: full-batch Adam for `steps`
  steps on the cross-entropy plus l2 times the squared weights."""
  x, y = jnp.asarray(x), jnp.asarray(labels)
  sizes = [x.shape[1], *hidden, num_classes]
  params = mlp.init_mlp(jax.random.PRNGKey(seed), sizes, "he")
  tx = optax.adam(learning_rate)

  def loss(p):
    ce = nll.categorical_nll(y, mlp.mlp_forward(p, x, activation)).mean()
    return ce + l2 * sum(jnp.sum(layer["w"] ** 2) for layer in p)

  @jax.jit
  def train(params):
    def body(carry, _):
      p, opt = carry
      grads = jax.grad(loss)(p)
      updates, opt = tx.update(grads, opt, p)
      return (optax.apply_updates(p, updates), opt), None
    return jax.lax.scan(body, (params, tx.init(params)), None, length=steps)[0][0]

  params = train(params)
  predict = jax.jit(lambda f: jnp.argmax(mlp.mlp_forward(params, f, activation), -1))
  test_x = jnp.asarray(test_x)
  found = np.concatenate([np.asarray(predict(test_x[i:i + 1000]))
                          for i in range(0, test_x.shape[0], 1000)])
  return float(np.mean(found == np.asarray(test_labels)))


def probe_accuracy(model, state, images, labels, test_images, test_labels,
                   steps: int = 200) -> float:
  """M1: a linear probe on the codes of an unsupervised model, fitted on the labelled images."""
  evaluator = metrics.Evaluator(model, state)
  return metrics.linear_probe(evaluator.encode(images), jnp.asarray(labels),
                              evaluator.encode(test_images), jnp.asarray(test_labels), steps)


def summary(values) -> dict:
  """{"mean", "std" (n - 1; 0 for one value), "values"}."""
  v = np.asarray(values, np.float64)
  return {"mean": float(v.mean()), "std": float(v.std(ddof=1)) if v.size > 1 else 0.0,
          "values": [float(a) for a in v]}
