#!/usr/bin/env node
// The `duet` command as a package bin: the CLI is TypeScript, run through tsx's loader
// (the same as `pnpm duet`, which runs `tsx packages/vlm/src/cli/main.ts`).
import { register } from "tsx/esm/api";

register();
const { main } = await import("../src/cli/main.ts");
const { shutdownThreads } = await import("@duet/tensor");
const code = await main(process.argv.slice(2));
await shutdownThreads();
process.exitCode = code;
// a stray handle (a timer, a worker) must not keep a finished command alive
setTimeout(() => process.exit(code), 100).unref();
