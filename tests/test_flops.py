"""ae.training.flops against hand counts, and the benchmark's FLOPs per example against the
reference VAE's own train step."""

import jax
import jax.numpy as jnp
import numpy as np

from ae import models
from ae.training import config as config_lib, flops
from tests.conftest import MNIST_SPEC


def test_dot_flops_of_matmuls_einsums_scans_and_nested_jits():
  a, b = jnp.ones((3, 5)), jnp.ones((5, 7))
  assert flops.matmul_flops(lambda a, b: a @ b, a, b) == 2 * 3 * 5 * 7
  x, y = jnp.ones((4, 3, 5)), jnp.ones((4, 5, 2))
  assert flops.matmul_flops(lambda x, y: jnp.einsum("bij,bjk->bik", x, y), x, y) == 2 * 4 * 3 * 5 * 2

  def scanned(a, b):
    body = lambda c, _: (jax.jit(lambda c: jnp.tanh(c @ b.T @ b))(c), None)
    return jax.lax.scan(body, a, None, length=6)[0]
  c = jnp.ones((3, 7))   # Each step: (3x7)(7x5), then (3x5)(5x7).
  assert flops.matmul_flops(scanned, c, b) == 6 * (2 * 3 * 7 * 5 + 2 * 3 * 5 * 7)
  assert flops.matmul_flops(lambda a: jnp.tanh(a).sum(), a) == 0


def test_the_reference_vae_step_has_eleven_matmuls_of_the_benchmarks_flops():
  from experiments import benchmark
  from experiments.configs import vae_torch_reference
  config = config_lib.validate(vae_torch_reference.get_config())
  model = models.build(config, MNIST_SPEC)
  state = jax.eval_shape(model.init_state, jax.random.PRNGKey(0))
  batch = {"image": np.zeros((8, 28, 28, 1), np.uint8), "label": np.zeros(8, np.int32)}
  jaxpr = jax.make_jaxpr(model.train_step())(state, batch, jax.random.PRNGKey(0)).jaxpr
  dots = flops.dot_generals(jaxpr)
  assert len(dots) == 11   # 4 forward, 4 weight gradients, 3 input gradients (not the pixels').
  assert sum(f for *_, f in dots) == 8 * benchmark.TRAIN_FLOPS == 8 * 3_280_000
  # Differentiating the pixels too adds the first layer's input gradient: the old 3 x forward.
  loss = lambda p, x: model.loss(p, {"image": x, "label": batch["label"]}, jax.random.PRNGKey(0))[0]
  both = jax.grad(loss, argnums=(0, 1))
  x = jnp.zeros((8, 784), jnp.float32)
  model_inputs = model.inputs
  model.inputs = lambda batch, rng, train: batch["image"]
  try:
    assert flops.matmul_flops(both, state.params, x) == 8 * 3 * 2 * benchmark.FORWARD_MACS
  finally:
    model.inputs = model_inputs
