/**
 * Node's `require`, reached without a static import of any `node:` module, so that the pool's
 * files stay loadable by bundlers that target the browser: there, and in any context that is
 * not Node, this returns null and the caller falls back (one thread, no bundling).
 *
 * ES modules have no `require`; createRequire makes one, and process.getBuiltinModule
 * (Node >= 20.16) hands us node:module without an import statement a bundler would follow.
 */

type NodeProcess = {
  versions?: { node?: string };
  getBuiltinModule?: (id: string) => unknown;
};

let cached: NodeRequire | null | undefined;

/** `require` for Node's built-ins and this package's dependencies, or null outside Node. */
export function nodeRequire(): NodeRequire | null {
  if (cached !== undefined) return cached;
  cached = null;
  const proc = (globalThis as { process?: NodeProcess }).process;
  if (!proc?.versions?.node) return null;
  try {
    const global = (globalThis as { require?: NodeRequire }).require;
    if (global) cached = global;
    else cached = (proc.getBuiltinModule!("node:module") as typeof import("node:module")).createRequire(import.meta.url);
  } catch {
    // a bundle without import.meta (CommonJS output), or a Node without getBuiltinModule
    cached = null;
  }
  return cached;
}
