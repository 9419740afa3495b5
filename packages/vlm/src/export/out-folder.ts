/**
 * The `--out` folder of an export: it must be absent or empty, and it appears whole or not at
 * all. Files are written into a temporary sibling `.NAME.tmp-<pid>-<random>` (as
 * ../model/atomic-folder.ts does for checkpoints), flushed, and the folder is renamed to NAME.
 *
 * Unlike a checkpoint save, an export never replaces anything: a folder holding even one file may
 * be someone's data, so it is refused, and nothing the export did not create is ever deleted. An
 * empty NAME is replaced by the rename itself (POSIX renames a folder over an empty one in one
 * step, and fails if it filled up meanwhile); where the platform refuses that, the empty folder
 * is removed with rmdir, which cannot remove a folder that holds anything.
 */

import { existsSync, mkdirSync, readdirSync, renameSync, rmdirSync, rmSync, statSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { ModelError } from "../model/errors.js";

/** Throws unless `dir` is absent or an empty folder. */
export function checkOutFolder(op: string, dir: string): void {
  if (!existsSync(dir)) return;
  if (!statSync(dir).isDirectory()) throw new ModelError(op, `--out must be a new or empty folder, but it is a file`, dir);
  const inside = readdirSync(dir);
  if (inside.length > 0) {
    throw new ModelError(op, `--out must be a new or empty folder, but it holds ${inside.length} entr${inside.length === 1 ? "y" : "ies"} (${inside.slice(0, 3).join(", ")}${inside.length > 3 ? ", ..." : ""}); nothing was written`, dir);
  }
}

/**
 * Creates `dir` (absent or empty) with what `fill(tmp)` (sync or async) writes into a temporary sibling, then
 * renames it into place. On any error the temporary folder is removed and `dir` is untouched.
 */
export async function writeNewFolder<T>(op: string, dir: string, fill: (tmp: string) => T | Promise<T>): Promise<T> {
  checkOutFolder(op, dir);
  const target = resolve(dir);
  const parent = dirname(target);
  mkdirSync(parent, { recursive: true });
  const tmp = join(parent, `.${basename(target)}.tmp-${process.pid}-${Math.random().toString(36).slice(2, 10)}`);
  let result: T;
  try {
    mkdirSync(tmp);
    result = await fill(tmp);
    moveIntoPlace(tmp, target);
  } catch (error) {
    rmSync(tmp, { recursive: true, force: true });
    if (error instanceof ModelError) throw error;
    throw new ModelError(op, `writing failed, nothing was created: ${(error as Error).message}`, dir, { cause: error });
  }
  return result;
}

function moveIntoPlace(tmp: string, target: string): void {
  try {
    renameSync(tmp, target);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if ((code !== "EPERM" && code !== "EEXIST" && code !== "EISDIR") || !existsSync(target)) throw error;
    rmdirSync(target); // fails, as it should, unless the folder is still empty
    renameSync(tmp, target);
  }
}
