"""Run by tests/test_sharding.py in a fresh process with 4 simulated CPU devices; prints one
JSON line. (XLA_FLAGS must be set before JAX starts, so this cannot run inside pytest.)"""

import json
import sys

import chex
import jax

from ae import data, models
from ae.errors import ConfigError
from ae.training import config as config_lib, loop, sharding, step


def main(data_dir: str, workdir: str):
  devices = jax.devices()
  assert len(devices) == 4, devices
  config = config_lib.make("dae", **{
      "data.data_dir": data_dir, "model.hidden": (32,), "model.latent_dim": 4,
      "train.epochs": 3, "train.batch_size": 32, "train.learning_rate": 3e-3,
      "train.eval_batch_size": 64})
  out = {}
  for name, mesh_devices in (("one", devices[:1]), ("four", devices)):
    mesh = sharding.data_mesh(mesh_devices)
    result = loop.train_and_evaluate(config, f"{workdir}/{name}", mesh=mesh)
    out[name] = {k: [h[k] for h in result.history]
                 for k in ("train_loss", "test_loss", "num_devices")}
    out[name]["param_sharding"] = str(jax.tree.leaves(result.state.params)[0].sharding.spec)

  # Trace counts and transfers with the 4-device mesh: one trace of the loss for three epochs,
  # and no host transfer inside an epoch (the keys are made before the guard).
  mesh = sharding.data_mesh(devices)
  model = models.build(config, data.Spec((28, 28, 1), data.digit_names()))
  split = loop.load_splits(config, mesh)["train"]
  state = loop.create_state(model, mesh)
  loss = chex.assert_max_traces(model.loss, n=1)
  epoch = step.make_train_epoch(step.make_train_step(loss), 32, mesh)
  keys = [sharding.replicate(jax.random.PRNGKey(i), mesh) for i in range(3)]
  with jax.transfer_guard("disallow"):
    for key in keys:
      state, metrics = epoch(state, split, key)
  out["guarded_epochs"] = 3
  hlo = epoch.lower(state, split, keys[0]).compile().as_text()
  out["gradient_all_reduce"] = "all-reduce" in hlo   # The batch really is split.
  out["state_sharding"] = str(jax.tree.leaves(state.params)[0].sharding.spec)
  try:
    step.make_train_epoch(step.make_train_step(model.loss), 30, mesh)
  except ConfigError as e:
    out["indivisible"] = {"field": e.field, "message": e.message}
  print(json.dumps(out))


if __name__ == "__main__":
  main(*sys.argv[1:])
