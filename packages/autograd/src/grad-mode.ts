/**
 * Grad mode: whether ops record themselves on the graph. Inside `noGrad(fn)` they do not,
 * so evaluation and optimizer updates cost no graph and save nothing for a backward pass.
 */

let enabled = true;

/** True when ops record the graph (the default); false inside `noGrad`. */
export function isGradEnabled(): boolean {
  return enabled;
}

/**
 * Runs `fn` with recording turned off and returns its result. Nests, and restores the
 * previous mode even when `fn` throws. `fn` must be synchronous: the mode is a global
 * flag, restored as soon as `fn` returns, before any awaited work would run.
 */
export function noGrad<T>(fn: () => T): T {
  const previous = enabled;
  enabled = false;
  try {
    return fn();
  } finally {
    enabled = previous;
  }
}
