"""Flax (linen) encoders and decoders for any image shape: MLPs, DCGAN-style convolutional
networks and residual networks, chosen by config.model.network.

Every network takes and gives flat vectors, so the families, the likelihoods and the k-sample
bounds never see a shape: an encoder maps x [B, D] (D = H W C, the images flattened in
(H, W, C) order) to its outputs, a decoder maps a code z [B, k] to the raw outputs [B, P D] of
p(x | z) (P parameters per pixel, laid out as P blocks of D, as `ae.distributions.likelihoods`
reads them). Only the convolutional trunks and heads know the image shape (from the data's
`Spec`, never written in):

  mlp     x -> Dense layers `hidden` -> outputs;  z -> Dense layers reversed(hidden) -> outputs
  conv    x -> [H, W, C] -> per width c in `channels`: a 4x4 convolution of stride 2 and the
          activation (each halves H and W) -> flattened -> Dense layers `hidden` -> outputs;
          z -> Dense layers reversed(hidden) -> Dense to [H / 2^L, W / 2^L, channels[-1]] ->
          stride-2 transposed convolutions back through the widths (in sub-pixel form: a 3x3
          convolution and a pixel shuffle, `SubPixelUp`) -> [H, W, P C]
  resnet  the same halvings by residual blocks (GroupNorm, activation, 3x3 convolution, twice,
          with a 1x1 projection on the skip path; the first convolution of a block strides),
          and on the way up nearest-neighbour doubling before each block; a 3x3 convolution
          makes the P C outputs

No batch statistics anywhere (GroupNorm normalizes within each example), so the train state
is parameters and optimizer state only, examples stay independent (the contractive penalty's
per-example Jacobians hold), and evaluation equals training's forward pass. A size that L
halvings cannot take is refused with the sizes that work (`check_shape`).

Compute dtype (config.train.compute_dtype, `compute_dtype`): with bfloat16 every Dense, Conv
and GroupNorm computes in bfloat16 on float32 parameters (the optimizer and the checkpoints see
float32 only), and each network's outputs are cast back to float32, so the likelihoods, KLs,
logsumexps, importance weights and losses are float32 (the mixed-precision recipe of
Micikevicius et al. 2018 without loss scaling: bfloat16 has float32's exponent range).
"""

import math
from typing import Any, Optional, Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp

from ae.errors import ConfigError
from ae.foundations.mlp import MLP, activation, layer_dtype

NAMES = ("mlp", "conv", "resnet")
COMPUTE_DTYPES = {"float32": None, "bfloat16": jnp.bfloat16}


def compute_dtype(config):
  """The layers' dtype for config.train.compute_dtype: None (float32, the inputs' own dtype) or
  jnp.bfloat16; a ConfigError with the fix for any other."""
  name = config.train.get("compute_dtype", "float32")
  if name not in COMPUTE_DTYPES:
    fix = (" float16 would need loss scaling (its range is too small for the gradients); "
           "bfloat16 has float32's range." if name == "float16" else "")
    raise ConfigError("train.compute_dtype", f"{name!r} is not a compute dtype here; choose "
                      f"float32 or bfloat16.{fix}")
  return COMPUTE_DTYPES[name]


def check_shape(model_config, spec) -> None:
  """ConfigError unless the network can take spec's examples."""
  network, widths = model_config.network, tuple(model_config.channels)
  if network == "mlp":
    return
  if not spec.is_image:
    raise ConfigError("model.network", f"{network} networks take images, and these examples "
                      f"are vectors of {spec.num_pixels}; use model.network='mlp'.")
  h, w = spec.shape[:2]
  step = 2 ** len(widths)
  if h % step or w % step:
    up = lambda n: -(-n // step) * step
    raise ConfigError("model.channels", f"{h}x{w} images cannot be halved {len(widths)} times "
                      f"(one halving per width of {widths}); the sizes that work are multiples "
                      f"of {step}, such as {up(h)}x{up(w)} (set data.image_size), or use "
                      f"fewer widths.")


def _groups(features: int) -> int:
  return math.gcd(8, features)


def to_flat(out, outputs_per_pixel: int):
  """[B, H, W, P C] -> [B, P D]: P blocks of D pixels, each in (H, W, C) order."""
  b, h, w, pc = out.shape
  c = pc // outputs_per_pixel
  return out.reshape(b, h, w, outputs_per_pixel, c).transpose(0, 3, 1, 2, 4).reshape(b, -1)


def depth_to_space(h, channels: int):
  """[B, H, W, 4 C] -> [B, 2H, 2W, C]: channel block (i, j) of each pixel becomes its output
  pixel (2y + i, 2x + j) (the pixel shuffle of Shi et al. 2016)."""
  b, hh, ww, _ = h.shape
  h = h.reshape(b, hh, ww, 2, 2, channels).transpose(0, 1, 3, 2, 4, 5)
  return h.reshape(b, 2 * hh, 2 * ww, channels)


def _conv(features: int, size: int, dtype, strides=(1, 1), padding="SAME", name=None):
  """A size x size convolution computing in dtype (float32 accumulation: layer_dtype)."""
  return nn.Conv(features, (size, size), strides=strides, padding=padding,
                 **layer_dtype(dtype, "conv"), name=name)


class SubPixelUp(nn.Module):
  """[B, H, W, C'] -> [B, 2H, 2W, features]: a stride-2 transposed convolution in its sub-pixel
  form (Shi et al. 2016): a 3x3 convolution to 4 features channels, then the pixel shuffle.
  Every 4x4 stride-2 transposed convolution is one of these (each output pixel of one of the four
  phases sees a 2x2 input neighbourhood, inside the 3x3 window); its gradient costs XLA on CPU
  about a quarter of nn.ConvTranspose's (28 vs 122 ms for a 7x7x64 -> 28x28x1 batch of 128)."""
  features: int
  dtype: Any = None

  @nn.compact
  def __call__(self, h):
    return depth_to_space(_conv(4 * self.features, 3, self.dtype, name="conv")(h), self.features)


class ResBlock(nn.Module):
  """GroupNorm, activation, 3x3 convolution, twice; the first convolution strides by `stride`;
  a 1x1 projection on the skip path when the shape changes."""
  features: int
  stride: int = 1
  activation: str = "relu"
  dtype: Any = None

  @nn.compact
  def __call__(self, h):
    fn = activation(self.activation).fn
    s, d = (self.stride, self.stride), self.dtype
    y = _conv(self.features, 3, d, s, name="conv_0")(
        fn(nn.GroupNorm(_groups(h.shape[-1]), dtype=d, name="norm_0")(h)))
    y = _conv(self.features, 3, d, name="conv_1")(
        fn(nn.GroupNorm(_groups(self.features), dtype=d, name="norm_1")(y)))
    if self.stride != 1 or h.shape[-1] != self.features:
      h = _conv(self.features, 1, d, s, name="skip")(h)
    return h + y


class Trunk(nn.Module):
  """x [B, D] -> features [B, F]. conv: stride-2 4x4 convolutions, one per width; resnet: a 3x3
  stem, then one downsampling residual block per width, GroupNorm and the activation."""
  shape: tuple
  channels: Sequence[int]
  activation: str = "relu"
  kind: str = "conv"
  dtype: Any = None

  @nn.compact
  def __call__(self, x):
    fn, d = activation(self.activation).fn, self.dtype
    h = x.reshape(x.shape[0], *self.shape)
    if self.kind == "conv":
      for i, c in enumerate(self.channels):
        h = fn(_conv(c, 4, d, (2, 2), name=f"conv_{i}")(h))
    else:
      h = _conv(self.channels[0], 3, d, name="stem")(h)
      for i, c in enumerate(self.channels):
        h = ResBlock(c, 2, self.activation, d, name=f"block_{i}")(h)
      h = fn(nn.GroupNorm(_groups(h.shape[-1]), dtype=d, name="norm")(h))
    return h.reshape(x.shape[0], -1)


class ConvDecoder(nn.Module):
  """z [B, k] -> raw outputs [B, P D]: Dense layers, a Dense to the smallest feature map, then
  stride-2 transposed convolutions in sub-pixel form (conv) or doubling residual blocks
  (resnet) up to the image."""
  shape: tuple
  channels: Sequence[int]
  outputs_per_pixel: int
  hidden: Sequence[int] = ()
  activation: str = "relu"
  kind: str = "conv"
  dtype: Any = None

  @nn.compact
  def __call__(self, z):
    fn, d = activation(self.activation).fn, self.dtype
    h_img, w_img, c_img = self.shape
    step = 2 ** len(self.channels)
    base = (h_img // step, w_img // step, self.channels[-1])
    h = fn(MLP(tuple(self.hidden) + (base[0] * base[1] * base[2],), self.activation, d,
               name="mlp")(z))
    h = h.reshape(z.shape[0], *base)
    outputs = self.outputs_per_pixel * c_img
    if self.kind == "conv":
      widths = tuple(reversed(self.channels[:-1]))
      for i, c in enumerate(widths):
        h = fn(SubPixelUp(c, d, name=f"deconv_{i}")(h))
      h = SubPixelUp(outputs, d, name=f"deconv_{len(widths)}")(h)
    else:
      for i, c in enumerate(reversed(self.channels)):
        b, hh, ww, cc = h.shape
        h = jax.image.resize(h, (b, 2 * hh, 2 * ww, cc), "nearest")
        h = ResBlock(c, 1, self.activation, d, name=f"block_{i}")(h)
      h = fn(nn.GroupNorm(_groups(h.shape[-1]), dtype=d, name="norm")(h))
      h = _conv(outputs, 3, d, name="out")(h)
    out = to_flat(h, self.outputs_per_pixel)
    return out if d is None else out.astype(jnp.float32)


def trunk(model_config, spec, dtype=None) -> Optional[nn.Module]:
  """The convolutional trunk of config.model.network (None for mlp: the pixels themselves)."""
  check_shape(model_config, spec)
  if model_config.network == "mlp":
    return None
  return Trunk(tuple(spec.shape), tuple(model_config.channels), model_config.activation,
               model_config.network, dtype)


class Encoder(nn.Module):
  """x -> pre-code u; the code is z = code_activation(u) (sigmoid for a sparse AE)."""
  hidden: Sequence[int]
  latent_dim: int
  activation: str = "relu"
  code_activation: str = "identity"
  trunk: Optional[nn.Module] = None
  dtype: Any = None

  @nn.compact
  def __call__(self, x):
    h = x if self.trunk is None else self.trunk(x)
    pre_code = MLP(tuple(self.hidden) + (self.latent_dim,), self.activation, self.dtype,
                   name="mlp")(h)
    return activation(self.code_activation).fn(pre_code), pre_code


class Decoder(nn.Module):
  """z -> raw outputs of p(x | z): logits, means, or means and log-sigmas."""
  hidden: Sequence[int]
  num_outputs: int
  activation: str = "relu"
  dtype: Any = None

  @nn.compact
  def __call__(self, z):
    return MLP(tuple(self.hidden) + (self.num_outputs,), self.activation, self.dtype,
               name="mlp")(z)


class GaussianEncoder(nn.Module):
  """x -> (mean, log-variance) of q(z | x) = N(mean, diag(exp(logvar))): the trunk (if any),
  `extra` inputs (a one-hot label) appended to its features, the hidden layers, then one linear
  layer with 2k outputs split in halves (the same as two heads of k)."""
  hidden: Sequence[int]
  latent_dim: int
  activation: str = "relu"
  trunk: Optional[nn.Module] = None
  dtype: Any = None

  @nn.compact
  def __call__(self, x, extra=None):
    h = x if self.trunk is None else self.trunk(x)
    if extra is not None:
      h = jnp.concatenate([h, extra.astype(h.dtype)], -1)
    out = MLP(tuple(self.hidden) + (2 * self.latent_dim,), self.activation, self.dtype,
              name="mlp")(h)
    mean, logvar = jnp.split(out, 2, axis=-1)
    return mean, logvar


class TrunkMLP(nn.Module):
  """A trunk, then Dense layers `features` (the last linear): a classifier or an AAE's encoder
  over images."""
  trunk: nn.Module
  features: Sequence[int]
  activation: str = "relu"
  dtype: Any = None

  @nn.compact
  def __call__(self, x):
    return MLP(tuple(self.features), self.activation, self.dtype, name="mlp")(self.trunk(x))


def image_mlp(model_config, spec, features, dtype=None) -> nn.Module:
  """Dense layers `features` over the pixels (mlp), or over the network's trunk's features."""
  t = trunk(model_config, spec, dtype)
  if t is None:
    return MLP(tuple(features), model_config.activation, dtype)
  return TrunkMLP(t, tuple(features), model_config.activation, dtype)


def decoder(model_config, spec, outputs_per_pixel: int, dtype=None) -> nn.Module:
  """The decoder of config.model: the encoder's widths mirrored, to P outputs per pixel."""
  check_shape(model_config, spec)
  hidden = tuple(reversed(tuple(model_config.hidden)))
  if model_config.network == "mlp":
    return Decoder(hidden, spec.num_pixels * outputs_per_pixel, model_config.activation, dtype)
  return ConvDecoder(tuple(spec.shape), tuple(model_config.channels), outputs_per_pixel, hidden,
                     model_config.activation, model_config.network, dtype)


def gaussian_encoder(model_config, spec, dtype=None) -> GaussianEncoder:
  return GaussianEncoder(tuple(model_config.hidden), model_config.latent_dim,
                         model_config.activation, trunk(model_config, spec, dtype), dtype)


class Autoencoder(nn.Module):
  encoder: Encoder
  decoder: nn.Module

  def __call__(self, x):
    code, pre_code = self.encoder(x)
    return {"code": code, "pre_code": pre_code, "outputs": self.decoder(code)}

  def encode(self, x):
    return self.encoder(x)[0]

  def decode(self, z):
    return self.decoder(z)


def autoencoder(model_config, spec, outputs_per_pixel: int,
                code_activation: str | None = None, dtype=None) -> Autoencoder:
  """The autoencoder of config.model: encoder widths `hidden`, the decoder mirrors them."""
  return Autoencoder(
      encoder=Encoder(tuple(model_config.hidden), model_config.latent_dim,
                      model_config.activation, code_activation or model_config.code_activation,
                      trunk(model_config, spec, dtype), dtype),
      decoder=decoder(model_config, spec, outputs_per_pixel, dtype))
