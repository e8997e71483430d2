"""The chapter's gradient descent, from the first-order Taylor expansion, as one jitted loop.

L(theta + u) = L(theta) + <g, u> + 1/2 <u, H u> + ...  With u = -eta g the first-order term
predicts a decrease of eta ||g||^2; the second-order term, -eta^2/2 <g, H g>, says how wrong that
prediction is, which is why eta must stay small. The three rules:

  1. step:    theta <- theta - eta g
  2. accept a step only if the loss drops; otherwise shrink eta and retry from the same theta;
  3. stop when an accepted step changes the loss by less than `tol` (or after `max_steps`).

With `optimizer=` an optax optimizer proposes the step u instead (scaled by a factor that the same
rejection rule shrinks); with `enforce_decrease=False` every step is taken, as optax users expect.
Every attempted step is recorded: loss, eta, accepted, predicted (first- and second-order) and
actual decrease. Entries after the stop are NaN.
"""

import functools
from typing import Callable, NamedTuple, Optional

import jax
import jax.numpy as jnp
import optax


class DescentResult(NamedTuple):
  params: object
  losses: jnp.ndarray               # [max_steps + 1]: the loss before each attempt, then final
  etas: jnp.ndarray                 # [max_steps] step size (or scale of the optax step) used
  accepted: jnp.ndarray             # [max_steps] bool
  predicted_first: jnp.ndarray      # [max_steps] -<g, u>
  predicted_second: jnp.ndarray     # [max_steps] -<g, u> - 1/2 <u, H u>
  actual: jnp.ndarray               # [max_steps] L(theta) - L(theta + u)
  num_steps: jnp.ndarray            # attempts made before stopping
  converged: jnp.ndarray            # bool: stopped by the |delta L| < tol rule


def _vdot(a, b):
  return sum(jnp.vdot(x, y) for x, y in zip(jax.tree.leaves(a), jax.tree.leaves(b)))


@functools.partial(jax.jit, static_argnames=("loss_fn", "optimizer", "max_steps",
                                             "enforce_decrease"))
def descend(loss_fn: Callable, params, *, learning_rate: float = 0.1, max_steps: int = 100,
            tol: float = 1e-6, shrink: float = 0.5,
            optimizer: Optional[optax.GradientTransformation] = None,
            enforce_decrease: bool = True) -> DescentResult:
  """Minimizes loss_fn(params) by the chapter's rules; see the module docstring."""
  value_and_grad = jax.value_and_grad(loss_fn)
  opt_state = optimizer.init(params) if optimizer is not None else ()
  nan = jnp.array(jnp.nan, jnp.result_type(float))

  def attempt(carry, _):
    params, opt_state, loss, eta, done, steps = carry
    _, g = value_and_grad(params)
    if optimizer is None:
      u = jax.tree.map(lambda x: -eta * x, g)
      new_opt_state = opt_state
    else:
      updates, new_opt_state = optimizer.update(g, opt_state, params)
      u = jax.tree.map(lambda x: eta * x, updates)
    candidate = optax.apply_updates(params, u)
    new_loss = loss_fn(candidate)
    hu = jax.jvp(jax.grad(loss_fn), (params,), (u,))[1]
    first = -_vdot(g, u)
    second = first - 0.5 * _vdot(u, hu)
    actual = loss - new_loss
    accept = jnp.logical_and(jnp.isfinite(new_loss),
                             (new_loss < loss) if enforce_decrease else True)
    take = jnp.logical_and(accept, jnp.logical_not(done))
    keep = lambda new, old: jax.tree.map(lambda a, b: jnp.where(take, a, b), new, old)
    record = (loss, eta, take, first, second, actual)
    record = jax.tree.map(lambda r: jnp.where(done, jnp.full_like(r, nan if r.dtype != bool
                                                                  else False), r), record)
    stop = jnp.logical_or(done, jnp.logical_and(take, jnp.abs(actual) < tol))
    next_eta = jnp.where(take | done | (not enforce_decrease), eta, eta * shrink)
    carry = (keep(candidate, params), keep(new_opt_state, opt_state),
             jnp.where(take, new_loss, loss), next_eta, stop, steps + (~done).astype(jnp.int32))
    return carry, record

  loss0 = loss_fn(params)
  init = (params, opt_state, loss0, jnp.asarray(learning_rate, loss0.dtype), jnp.array(False),
          jnp.array(0, jnp.int32))
  (params, _, final_loss, _, done, steps), records = jax.lax.scan(
      attempt, init, None, length=max_steps)
  losses, etas, accepted, first, second, actual = records
  losses = jnp.concatenate([losses, final_loss[None]])
  return DescentResult(params, losses, etas, accepted, first, second, actual, steps, done)


@functools.partial(jax.jit, static_argnames=("loss_fn", "steps"))
def minimize_lbfgs(loss_fn: Callable, params, steps: int = 500):
  """Full-batch L-BFGS with a zoom line search: for convex fits that must actually converge.

  Returns (params, losses [steps]). Started from zero on a least-squares problem its iterates stay
  in the row space of the data, so it converges to the minimum-norm solution.
  """
  opt = optax.lbfgs()
  value_and_grad = optax.value_and_grad_from_state(loss_fn)

  def step(carry, _):
    params, state = carry
    value, grad = value_and_grad(params, state=state)
    updates, state = opt.update(grad, state, params, value=value, grad=grad, value_fn=loss_fn)
    return (optax.apply_updates(params, updates), state), value

  (params, _), losses = jax.lax.scan(step, (params, opt.init(params)), None, length=steps)
  return params, losses
