"""Model families behind one interface (`ae.models.base.Model`) and their registry.

Adding a model is one module under ae/models/ and one `register` line below (or a `register`
call of the user's own, as tests/test_registry.py does).
"""

from ae.errors import ConfigError

_REGISTRY: dict = {}


def register(name: str, family: type) -> None:
  """Makes `config.model.name = name` build `family(config, spec)`."""
  _REGISTRY[name] = family


def unregister(name: str) -> None:
  _REGISTRY.pop(name, None)


def names() -> tuple:
  return tuple(_REGISTRY)


def get(name: str) -> type:
  if name not in _REGISTRY:
    raise ConfigError("model.name", f"{name!r} does not exist; choose one of "
                      f"{', '.join(_REGISTRY)}.")
  return _REGISTRY[name]


def build(config, spec):
  """The model of a validated config for data of `spec` (`ae.data.Spec`: the image shape and
  the classes), with everything derived from the two built once."""
  return get(config.model.name)(config, spec)


from ae.models import (adversarial, autoencoders, semisupervised,  # noqa: E402
                       stacked, vaegan, variational)   # The families register below.

for _name in autoencoders.NAMES:   # ae, dae, sae, cae: one family, one module.
  register(_name, autoencoders.Autoencoders)
for _name in variational.NAMES:    # vae, iwae, cvae
  register(_name, variational.Variational)
for _name in adversarial.NAMES:    # aae, aae_cat
  register(_name, adversarial.Adversarial)
register("m2", semisupervised.M2)
register("m1m2", stacked.M1M2)     # M2 on a trained VAE's codes
register("vaegan", vaegan.VAEGAN)  # a VAE against a GAN's discriminator
