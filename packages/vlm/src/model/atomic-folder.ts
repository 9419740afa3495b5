/**
 * Writing a whole folder atomically: a checkpoint is several files (config.json,
 * model.safetensors, tokenizer.json, …) that only make sense together, so they are written
 * into a fresh sibling folder `.DIR.tmp-<pid>-<random>`, each file flushed to disk, and the
 * folder is then renamed to DIR. A reader sees the old checkpoint or the new one, never a mix.
 *
 * Replacing an existing DIR takes two renames (POSIX cannot swap two folders in one step):
 * DIR → `.DIR.old-<pid>-<random>`, then the new folder → DIR, then the old one is deleted. If
 * the process dies between the two renames, DIR is missing and the previous checkpoint is
 * whole under `.DIR.old-*`: `restoreInterruptedSave` renames it back (the loader does, and says
 * so). A process killed at any other moment leaves a `.DIR.tmp-*` or `.DIR.old-*` beside DIR;
 * the next successful save of DIR removes those whose process is gone (a live process may be
 * writing its own: their names carry the writer's pid).
 */

import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, renameSync, rmSync, statSync, writeSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { ModelError } from "./errors.js";

function suffix(): string {
  return `${process.pid}-${Math.random().toString(36).slice(2, 10)}`;
}

function syncPath(path: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(path, "r");
    fsyncSync(fd);
  } catch {
    // best effort: some platforms cannot open a folder
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Writes bytes or text to a new file and flushes it to disk. */
export function writeFileDurable(path: string, data: string | Uint8Array): void {
  if (typeof data !== "string" && !(data instanceof Uint8Array)) {
    throw new ModelError("writeFileDurable", `the contents of ${basename(path)} must be a string or a Uint8Array, got ${data === null ? "null" : typeof data}`);
  }
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  const fd = openSync(path, "wx");
  try {
    for (let done = 0; done < bytes.length; ) done += writeSync(fd, bytes, done, bytes.length - done);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Creates `dir` atomically: `fill(tmp)` writes the files into a temporary sibling folder,
 * which then replaces `dir` (see the header). On any error the temporary folder is removed
 * and `dir` is left as it was.
 */
export function writeFolderAtomic(op: string, dir: string, fill: (tmp: string) => void): void {
  const target = resolve(dir);
  const parent = dirname(target);
  const name = basename(target);
  mkdirSync(parent, { recursive: true });
  const tmp = join(parent, `.${name}.tmp-${suffix()}`);
  try {
    mkdirSync(tmp);
    fill(tmp);
    syncPath(tmp);
  } catch (error) {
    rmSync(tmp, { recursive: true, force: true });
    throw new ModelError(op, `writing failed, nothing was changed: ${(error as Error).message}`, dir, { cause: error });
  }
  let old: string | undefined;
  try {
    if (existsSync(target)) {
      old = join(parent, `.${name}.old-${suffix()}`);
      renameSync(target, old);
    }
    renameSync(tmp, target);
  } catch (error) {
    if (old !== undefined && !existsSync(target)) renameSync(old, target);
    rmSync(tmp, { recursive: true, force: true });
    throw new ModelError(op, `could not move the new folder into place, the old one is untouched: ${(error as Error).message}`, dir, { cause: error });
  }
  syncPath(parent);
  if (old !== undefined) rmSync(old, { recursive: true, force: true });
  removeLeftovers(target);
}

/** The `.DIR.tmp-<pid>-*` and `.DIR.old-<pid>-*` folders beside DIR, with their writer's pid. */
function leftovers(dir: string): { path: string; kind: "tmp" | "old"; pid: number }[] {
  const target = resolve(dir);
  const parent = dirname(target);
  const prefix = `.${basename(target)}.`;
  let names: string[];
  try {
    names = readdirSync(parent);
  } catch {
    return [];
  }
  return names.flatMap((name) => {
    const m = name.startsWith(prefix) ? /^(tmp|old)-(\d+)-[a-z0-9]+$/.exec(name.slice(prefix.length)) : null;
    return m === null ? [] : [{ path: join(parent, name), kind: m[1] as "tmp" | "old", pid: Number(m[2]) }];
  });
}

function isAlive(pid: number): boolean {
  if (pid === process.pid) return false; // this process's own saves are finished when it cleans up
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM"; // alive, someone else's
  }
}

/** Removes what interrupted saves left beside DIR (see the header); returns how many. */
export function removeLeftovers(dir: string): number {
  let removed = 0;
  for (const left of leftovers(dir)) {
    if (isAlive(left.pid)) continue;
    rmSync(left.path, { recursive: true, force: true });
    removed++;
  }
  return removed;
}

/**
 * DIR is missing and a save that died between its two renames left the previous folder in
 * `.DIR.old-*`: renames the newest one that `isWhole` accepts back to DIR. Returns the folder
 * it came from, or undefined (DIR exists, or nothing fit).
 */
export function restoreInterruptedSave(dir: string, isWhole: (old: string) => boolean): string | undefined {
  const target = resolve(dir);
  if (existsSync(target)) return undefined;
  const candidates = leftovers(target)
    .filter((left) => left.kind === "old" && isWhole(left.path))
    .map((left) => ({ path: left.path, time: statSync(left.path).mtimeMs }))
    .sort((a, b) => b.time - a.time);
  const newest = candidates[0];
  if (newest === undefined) return undefined;
  try {
    renameSync(newest.path, target);
  } catch (error) {
    if (existsSync(target)) return undefined; // another process restored it first
    throw new ModelError("restoreInterruptedSave", `cannot rename ${basename(newest.path)} back: ${(error as Error).message}`, dir, { cause: error });
  }
  syncPath(dirname(target));
  return newest.path;
}

/** A `.DIR.old-*` folder left by a save that died between its two renames, if any. */
export function findInterruptedSave(dir: string): string | undefined {
  const target = resolve(dir);
  const parent = dirname(target);
  const prefix = `.${basename(target)}.old-`;
  try {
    const hit = readdirSync(parent).find((f) => f.startsWith(prefix));
    return hit === undefined ? undefined : join(parent, hit);
  } catch {
    return undefined;
  }
}
