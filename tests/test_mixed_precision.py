"""config.train.compute_dtype=bfloat16: the networks compute in bfloat16 on float32 parameters,
and every log-density, KL, importance weight and loss stays float32.

Tolerances follow from bfloat16's 8-bit significand (a relative rounding error of 2^-9 per
value, 2^-8 = 0.0039 between neighbours): a loss summed over 784 pixels from bf16 logits, after
a few layers each rounding its inputs, agrees with float32 to about 1%, and the gradients
point the same way (cosine similarity near 1) with norms within a few percent."""

import jax
import jax.extend
import jax.numpy as jnp
import numpy as np
import pytest

from ae import data, models
from ae.errors import ConfigError
from ae.training import config as config_lib

SPEC = data.Spec((28, 28, 1), tuple(str(i) for i in range(10)))


def _models(name, network):
  out = []
  for dtype in ("float32", "bfloat16"):
    config = config_lib.base_config(name)
    config.model.network = network
    if network != "mlp":
      config.model.hidden, config.model.channels = (), (16, 32)
    config.train.compute_dtype = dtype
    out.append(models.build(config_lib.validate(config), SPEC))
  return out


def _batch(n=64):
  images = jax.random.randint(jax.random.PRNGKey(1), (n, 784), 0, 256).astype(jnp.uint8)
  return {"image": data.preprocess(images), "label": jnp.arange(n) % 10}


def _cosine(a, b):
  a = np.concatenate([np.ravel(x) for x in jax.tree.leaves(a)])
  b = np.concatenate([np.ravel(x) for x in jax.tree.leaves(b)])
  return float(a @ b / np.linalg.norm(a) / np.linalg.norm(b)), np.linalg.norm(b) / np.linalg.norm(a)


@pytest.mark.parametrize("name,network", [("vae", "mlp"), ("vae", "conv"), ("ae", "conv"),
                                          ("iwae", "mlp"), ("dae", "resnet")])
def test_a_bfloat16_step_matches_float32_on_the_same_parameters(name, network):
  f32, bf16 = _models(name, network)
  params = f32.init_params(jax.random.PRNGKey(0))
  assert {x.dtype for x in jax.tree.leaves(bf16.init_params(jax.random.PRNGKey(0)))} == {
      jnp.dtype(jnp.float32)}   # float32 parameters under either dtype
  batch, rng = _batch(), jax.random.PRNGKey(2)
  grad = lambda m: jax.jit(jax.value_and_grad(
      lambda p: m.loss(p, batch, rng, train=False)[0]))(params)
  (l32, g32), (l16, g16) = grad(f32), grad(bf16)
  assert l16.dtype == jnp.float32 and {g.dtype for g in jax.tree.leaves(g16)} == {
      jnp.dtype(jnp.float32)}
  assert abs(float(l16) - float(l32)) <= 0.01 * abs(float(l32)), (float(l16), float(l32))
  cosine, ratio = _cosine(g32, g16)
  assert cosine > 0.99 and 0.95 < ratio < 1.05, (cosine, ratio)
  assert float(l16) != float(l32)   # bfloat16 really computed: not bit-equal


def _dot_dtypes(fn, *args):
  """The operand dtypes of every dot_general and convolution in fn's jaxpr (nested too)."""
  found = set()

  def walk(jaxpr):
    for eqn in jaxpr.eqns:
      if eqn.primitive.name in ("dot_general", "conv_general_dilated"):
        found.update(str(v.aval.dtype) for v in eqn.invars)
      for sub in jax.extend.core.jaxprs_in_params(eqn.params):
        walk(sub)
  walk(jax.make_jaxpr(fn)(*args).jaxpr)
  return found


def test_the_matmuls_are_bfloat16_and_the_nll_pieces_float32():
  f32, bf16 = _models("vae", "conv")
  params = f32.init_params(jax.random.PRNGKey(0))
  batch, rng = _batch(16), jax.random.PRNGKey(2)
  loss = lambda m: (lambda p: m.loss(p, batch, rng, train=False)[0])
  assert _dot_dtypes(loss(bf16), params) == {"bfloat16"}
  assert _dot_dtypes(loss(f32), params) == {"float32"}
  _, metrics = bf16.loss(params, batch, rng, train=False)
  assert {k: str(v.dtype) for k, v in metrics.items()} == {k: "float32" for k in metrics}
  outputs = bf16.module.apply(params, jnp.zeros((3, bf16.config.model.latent_dim)), None, method=bf16.module.decode)
  assert outputs.dtype == jnp.float32 and outputs.shape == (3, 784)
  state = type("S", (), {"params": params})()
  log_w = bf16.log_importance_weights(state, batch["image"], batch["label"], rng, 8)
  assert log_w.dtype == jnp.float32 and log_w.shape == (8, 16)
  assert bool(jnp.all(jnp.isfinite(log_w)))


def test_the_backward_matmuls_of_dense_layers_are_bfloat16_too():
  """A float32 cotangent against a bfloat16 operand would make XLA run both backward matmuls of
  every Dense layer in float32; the layers round the cotangent to bfloat16 first."""
  f32, bf16 = _models("vae", "mlp")
  params = f32.init_params(jax.random.PRNGKey(0))
  batch, rng = _batch(16), jax.random.PRNGKey(2)
  grad = lambda m: jax.grad(lambda p: m.loss(p, batch, rng, train=False)[0])
  assert _dot_dtypes(grad(bf16), params) == {"bfloat16"}
  assert _dot_dtypes(grad(f32), params) == {"float32"}


def test_the_dense_backward_pass_against_float64():
  """low_precision_dot_general's two backward matmuls against numpy in float64 on the same
  bfloat16-rounded operands and cotangent: equal to bfloat16's rounding of the result (2^-8)."""
  from ae.foundations import mlp
  keys = jax.random.split(jax.random.PRNGKey(3), 3)
  lhs = jax.random.normal(keys[0], (2, 5, 7)).astype(jnp.bfloat16)   # leading axes: a batch
  rhs = jax.random.normal(keys[1], (7, 3)).astype(jnp.bfloat16)
  g = jax.random.normal(keys[2], (2, 5, 3), jnp.float32)
  out, pullback = jax.vjp(lambda a, b: mlp.low_precision_dot_general(
      a, b, (((2,), (0,)), ((), ()))), lhs, rhs)
  d_lhs, d_rhs = pullback(g)
  l64, r64 = np.asarray(lhs, np.float64), np.asarray(rhs, np.float64)
  g64 = np.asarray(g.astype(jnp.bfloat16), np.float64)
  assert out.dtype == jnp.float32 and (d_lhs.dtype, d_rhs.dtype) == (jnp.bfloat16,) * 2
  np.testing.assert_allclose(out, l64 @ r64, rtol=1e-6, atol=1e-6)
  np.testing.assert_allclose(np.asarray(d_lhs, np.float64), g64 @ r64.T, rtol=2 ** -8, atol=1e-2)
  np.testing.assert_allclose(np.asarray(d_rhs, np.float64),
                             np.einsum("bni,bno->io", l64, g64), rtol=2 ** -8, atol=1e-2)


def test_a_dtype_the_networks_cannot_compute_in_is_refused_with_the_fix():
  config = config_lib.base_config("vae")
  config.train.compute_dtype = "float16"
  with pytest.raises(ConfigError, match="choose float32 or bfloat16. float16 would need loss "
                     "scaling") as e:
    config_lib.validate(config)
  assert e.value.field == "train.compute_dtype"
