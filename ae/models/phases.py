"""Training steps of several updates (the adversarial families): each update ("phase") changes
only its own parameter trees, with its own optimizer and optimizer state.

  phases   {phase: (optax optimizer, the names of the parameter trees it changes)}
  state    PhasedState(step, params = {tree: params}, opt_states = {phase: optimizer state})

`update` takes one phase's step on the current parameters (so later phases of a step see the
earlier ones' results: the AAE's order), `apply` applies gradients already taken (so a family can
take every phase's gradient at the same parameters first, as Larsen et al.'s VAE-GAN does).
"""

import flax.struct
import jax
import jax.numpy as jnp
import optax


@flax.struct.dataclass
class PhasedState:
  """Every parameter tree and every phase's optimizer state (checkpointed together)."""
  step: jax.Array
  params: dict
  opt_states: dict


def init(params: dict, phases: dict) -> PhasedState:
  opt_states = {name: tx.init({k: params[k] for k in trees})
                for name, (tx, trees) in phases.items()}
  return PhasedState(step=jnp.zeros((), jnp.int32), params=params, opt_states=opt_states)


def own(state: PhasedState, phases: dict, phase: str) -> dict:
  """The parameter trees that `phase` changes."""
  return {k: state.params[k] for k in phases[phase][1]}


def apply(state: PhasedState, phases: dict, phase: str, grads: dict) -> PhasedState:
  """One optimizer step of `phase` with grads of its own trees; every other tree is untouched."""
  tx, _ = phases[phase]
  mine = own(state, phases, phase)
  updates, opt_state = tx.update(grads, state.opt_states[phase], mine)
  mine = optax.apply_updates(mine, updates)
  return state.replace(params={**state.params, **mine},
                       opt_states={**state.opt_states, phase: opt_state})


def update(state: PhasedState, phases: dict, phase: str, loss_fn, *args):
  """(state after one step of `phase` on loss_fn(params, *args), its metrics)."""
  grads, metrics = jax.grad(lambda p: loss_fn({**state.params, **p}, *args),
                            has_aux=True)(own(state, phases, phase))
  return apply(state, phases, phase, grads), metrics
