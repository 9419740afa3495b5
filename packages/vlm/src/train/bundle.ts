/**
 * The data-parallel worker's code, bundled with esbuild in memory (once per process).
 *
 * A worker thread on Node 20 cannot load a .ts file, and the worker needs the whole model
 * (tensor kernels, autograd, layers, the towers), so dp-worker.ts and what it imports are
 * bundled into one CommonJS script and started with `eval: true` — as @duet/tensor bundles
 * its kernel pool's worker. esbuild is @duet/tensor's dependency; it is found from there.
 */

import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { TrainError } from "./errors.js";

/** The part of esbuild's API used here (esbuild's types live with @duet/tensor). */
interface Esbuild {
  buildSync(options: Record<string, unknown>): { outputFiles: { text: string }[] };
}

let cached: string | null = null;

/** The bundled source of dp-worker.ts. */
export function dataParallelWorkerSource(): string {
  if (cached !== null) return cached;
  const require = createRequire(import.meta.url);
  let esbuild: Esbuild;
  try {
    esbuild = createRequire(require.resolve("@duet/tensor"))("esbuild") as Esbuild;
  } catch (error) {
    throw new TrainError("dataParallel", `cannot load esbuild to bundle the worker (install the workspace's dependencies): ${(error as Error).message}`, { cause: error });
  }
  const result = esbuild.buildSync({
    entryPoints: [fileURLToPath(new URL("./dp-worker.ts", import.meta.url))],
    bundle: true,
    platform: "node",
    format: "cjs",
    target: "node20",
    write: false,
    logLevel: "silent",
  });
  cached = result.outputFiles[0]!.text;
  return cached;
}
