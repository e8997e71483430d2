"""Where a cold start of the reference VAE goes: seconds since this script started at each phase
of what experiments.benchmark --one_run does (imports, data, the state's jitted initialisation,
lowering and compiling the scanned epoch), then the compile time of four jax.random.normal draws
of the VAE's layer shapes alone (the threefry generator). It does not turn on the compilation
cache, so every compile is cold:

  python scripts/startup_phases.py
"""
import time

T0 = time.perf_counter()


def mark(what: str) -> None:
  print(f"{time.perf_counter() - T0:6.3f} s  {what}", flush=True)


import jax  # noqa: E402
from ae import models  # noqa: E402
from ae.training import config as config_lib, loop, step  # noqa: E402
from experiments.configs import vae_torch_reference  # noqa: E402


def reference_vae():
  """(config, splits, model) of the reference VAE, its training data attached; marks the
  imports (done by then) and the data."""
  mark("imports")
  config = config_lib.validate(vae_torch_reference.get_config())
  splits = loop.load_splits(config)
  mark("Fashion-MNIST loaded")
  model = models.build(config)
  model.attach_training_data(splits["train"])
  return config, splits, model


def main():
  config, splits, model = reference_vae()
  state = jax.block_until_ready(loop.create_state(model))
  mark("state initialised (traced, compiled and run)")
  epoch = step.make_train_epoch(model.train_step(), config.train.batch_size)
  lowered = epoch.lower(state, splits["train"], jax.random.PRNGKey(0))
  mark("epoch lowered")
  lowered.compile()
  mark("epoch compiled")
  shapes = [(784, 400), (400, 40), (20, 400), (400, 784)]
  draws = jax.jit(lambda k: [jax.random.normal(jax.random.fold_in(k, i), s)
                             for i, s in enumerate(shapes)])
  t = time.perf_counter()
  draws.lower(jax.random.PRNGKey(0)).compile()
  print(f"threefry: compiling four normal draws of the layers' shapes took "
        f"{time.perf_counter() - t:.3f} s")


if __name__ == "__main__":
  main()
