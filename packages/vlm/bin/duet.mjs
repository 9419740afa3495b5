#!/usr/bin/env node
// The `duet` command as a package bin, and what `pnpm duet` runs: the CLI is TypeScript, loaded
// through tsx's loader in this process. Not the tsx CLI: that is a parent process which relays
// Ctrl-C to its child and SIGKILLs it if it does not answer within 30 ms, so a training step
// in progress could not finish and save (see src/cli/training.ts).
import { register } from "tsx/esm/api";

register();
const { main } = await import("../src/cli/main.ts");
const { shutdownThreads } = await import("@duet/tensor");
const code = await main(process.argv.slice(2));
await shutdownThreads();
process.exitCode = code;
// a stray handle (a timer, a worker) must not keep a finished command alive
setTimeout(() => process.exit(code), 100).unref();
