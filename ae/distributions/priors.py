"""The adversarial autoencoder's priors p(z) (Makhzani et al. 2015, and the lecture's code).

Each prior has a sampler, a per-label sampler (the label-incorporated variant: the label picks a
part of the prior) and `assign`, the label of the part a code lies nearest. `log_density` is
p(z)'s log-density where one exists.

  normal       N(0, scale^2 I) in any dimension (scale 1 unless aae.prior_scale says); no parts
               (its per-label sampler ignores the label)
  mixture      2-D: ten Gaussians, one per label y. Component y is N(0, diag(0.5^2, 0.1^2))
               (std 0.5 along the radius, 0.1 across it) shifted 1.4 along the first axis and
               rotated by theta_y = 2 pi y / 10:   z = R(theta_y) (eps * (0.5, 0.1) + (1.4, 0)),
               so  p(z) = (1/10) sum_y N(z; R(theta_y) (1.4, 0), R(theta_y) diag(0.25, 0.01) R^T)
  swiss_roll   2-D: u ~ U(0, 1), s = sqrt(u), z = 3 s (cos 4 pi s, sin 4 pi s); the label y
               picks the tenth u in [y / 10, (y + 1) / 10). The roll is a curve, so p(z) has no
               density in 2-D; the radius r = 3 s has the density 2 r / 9 on [0, 3].
"""

import math

import jax
import jax.numpy as jnp
import numpy as np

NAMES = ("normal", "mixture", "swiss_roll")
NUM_PARTS = 10
SHIFT, RADIAL_STD, TANGENT_STD = 1.4, 0.5, 0.1
ROLL_RADIUS, ROLL_TURNS = 3.0, 2.0        # r = 3 s, angle = 2 pi * 2 * s


def _rotate(z, theta):
  """Rotates each row of z [..., 2] by its angle theta [...]."""
  c, s = jnp.cos(theta), jnp.sin(theta)
  return jnp.stack([c * z[..., 0] - s * z[..., 1], s * z[..., 0] + c * z[..., 1]], -1)


class Normal:
  """N(0, scale^2 I) in `dim` dimensions (scale 5: Makhzani et al.'s Parzen-window prior)."""
  name = "normal"
  has_parts = False

  def __init__(self, dim: int, scale: float = 1.0):
    self.dim, self.scale = dim, scale

  def sample(self, rng, n: int):
    return self.scale * jax.random.normal(rng, (n, self.dim))

  def sample_given_labels(self, rng, labels):
    return self.sample(rng, labels.shape[0])

  def log_density(self, z):
    u = z / self.scale
    return -0.5 * jnp.sum(u ** 2 + math.log(2 * math.pi * self.scale ** 2), axis=-1)


class Mixture:
  """The lecture's ten 2-D Gaussians, one per label (see the module docstring); `parts` of them
  for data with another number of classes."""
  name = "mixture"
  has_parts = True
  dim = 2

  def __init__(self, parts: int = NUM_PARTS):
    self.parts = parts

  def angles(self, labels):
    return 2 * math.pi * labels.astype(jnp.float32) / self.parts

  def sample_given_labels(self, rng, labels):
    eps = jax.random.normal(rng, (labels.shape[0], 2)) * jnp.array([RADIAL_STD, TANGENT_STD])
    return _rotate(eps + jnp.array([SHIFT, 0.0]), self.angles(labels))

  def sample(self, rng, n: int):
    rng_label, rng_z = jax.random.split(rng)
    return self.sample_given_labels(rng_z, jax.random.randint(rng_label, (n,), 0, self.parts))

  def component_log_densities(self, z):
    """[..., parts]: log N(z; component y) for every y (z rotated back into its frame)."""
    theta = self.angles(jnp.arange(self.parts))
    local = _rotate(z[..., None, :], -theta) - jnp.array([SHIFT, 0.0])
    stds = jnp.array([RADIAL_STD, TANGENT_STD])
    return (-0.5 * jnp.sum((local / stds) ** 2, -1)
            - math.log(2 * math.pi * RADIAL_STD * TANGENT_STD))

  def log_density(self, z):
    return jax.nn.logsumexp(self.component_log_densities(z), -1) - math.log(self.parts)

  def assign(self, z):
    """The component with the highest density at z (the label whose part z lies nearest)."""
    return jnp.argmax(self.component_log_densities(z), -1)


class SwissRoll:
  """The lecture's swiss roll (see the module docstring), cut into `parts` segments."""
  name = "swiss_roll"
  has_parts = True
  dim = 2

  def __init__(self, parts: int = NUM_PARTS):
    self.parts = parts

  @staticmethod
  def point(u):
    s = jnp.sqrt(u)
    angle = 2 * math.pi * ROLL_TURNS * s
    return ROLL_RADIUS * s[..., None] * jnp.stack([jnp.cos(angle), jnp.sin(angle)], -1)

  def sample_given_labels(self, rng, labels):
    u = (labels.astype(jnp.float32) + jax.random.uniform(rng, labels.shape)) / self.parts
    return self.point(u)

  def sample(self, rng, n: int):
    return self.point(jax.random.uniform(rng, (n,)))

  log_density = None   # A curve: no density in 2-D.

  def assign(self, z, resolution: int = 4000):
    """The label of the segment whose nearest point on the roll (a fine grid of u) is nearest."""
    u = (jnp.arange(resolution) + 0.5) / resolution
    curve = self.point(u)                                                   # [R, 2]
    d2 = jnp.sum((z[:, None, :] - curve[None]) ** 2, -1)
    return (jnp.argmin(d2, -1) * self.parts) // resolution


def radius_density(r):
  """The swiss roll's radius density 2 r / 9 on [0, 3] (u ~ U(0, 1), r = 3 sqrt(u))."""
  r = np.asarray(r, np.float64)
  return np.where((r >= 0) & (r <= ROLL_RADIUS), 2 * r / ROLL_RADIUS ** 2, 0.0)


def get(name: str, dim: int, scale: float = 1.0, parts: int = NUM_PARTS):
  """The prior `name`; `scale` is the normal prior's standard deviation, `parts` the number of
  labels a mixture or a swiss roll has a part for."""
  if name == "normal":
    return Normal(dim, scale)
  if name == "mixture":
    return Mixture(parts)
  if name == "swiss_roll":
    return SwissRoll(parts)
  raise ValueError(f"unknown prior {name!r}; choose one of {', '.join(NAMES)}.")
