/**
 * `--out` folders: a command never deletes or overwrites what it did not create.
 *
 * A folder Duet writes carries a marker, `.duet-out.json` ({"kind", "created"}). `--out DIR` is
 * accepted when DIR
 *   - does not exist (it is created, with the marker),
 *   - is an empty folder (the marker is added),
 *   - or holds the marker of the same kind (a folder this kind of command wrote before; the
 *     command then decides whether that needs --resume or --overwrite).
 * Anything else — a file, a folder of photos, a checkpoint, another kind of Duet output —
 * is refused with exit 2, and nothing is touched. Folders written before the marker existed
 * are recognised by their files (a run by train_log.jsonl or checkpoint/train_state.json, an
 * index by index.json beside features.safetensors) and get the marker.
 */

import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { writeFileAtomic } from "../data/atomic.js";
import { UsageError } from "./args.js";

export const OUT_MARKER = ".duet-out.json";

/** What a folder holds: a training run (duet train, duet demo), an embedding index, an open_clip export, lessons, the engine tour (duet demo --engine). */
export type OutKind = "run" | "index" | "export" | "lessons" | "engine";

/** Files that identify a folder of a kind written before markers existed. */
const LEGACY: Record<OutKind, (dir: string) => boolean> = {
  run: (dir) => existsSync(join(dir, "train_log.jsonl")) || existsSync(join(dir, "checkpoint", "train_state.json")),
  index: (dir) => existsSync(join(dir, "index.json")) && existsSync(join(dir, "features.safetensors")),
  export: () => false,
  lessons: (dir) => existsSync(join(dir, "lessons.json")),
  engine: () => false,
};

export interface OutDir {
  path: string;
  /** false: the folder held output of this kind already. */
  fresh: boolean;
}

/** The kind a folder's marker names, or null without a (readable) marker. */
export function markerKind(dir: string): OutKind | null {
  const path = join(dir, OUT_MARKER);
  if (!existsSync(path)) return null;
  try {
    const kind = (JSON.parse(readFileSync(path, "utf8")) as { kind?: unknown }).kind;
    return typeof kind === "string" && kind in LEGACY ? (kind as OutKind) : null;
  } catch {
    return null;
  }
}

function writeMarker(dir: string, kind: OutKind): void {
  writeFileAtomic(join(dir, OUT_MARKER), `${JSON.stringify({ kind, created: new Date().toISOString() })}\n`);
}

/**
 * Creates `path` and its missing parents one level at a time. Not mkdirSync's `recursive`:
 * on Node 20 it loops forever under /proc, where every mkdir fails with ENOENT.
 */
function makeFolders(where: string, path: string): void {
  const missing: string[] = [];
  let dir = resolve(path);
  while (!existsSync(dir)) {
    missing.unshift(dir);
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  if (existsSync(dir) && !statSync(dir).isDirectory()) throw new UsageError(`${where}: ${dir} is not a folder`);
  for (const folder of missing) {
    try {
      mkdirSync(folder);
    } catch (error) {
      throw new UsageError(`${where}: cannot create ${folder}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
  }
}

/**
 * Checks (and creates or marks) the folder `path` given to `--<flag>` of `duet <command>` for
 * output of `kind`; throws a UsageError, touching nothing, when it holds anything else.
 */
export function claimOutDir(command: string, flag: string, path: string, kind: OutKind): OutDir {
  const where = `duet ${command}: --${flag} ${path}`;
  if (!existsSync(path)) {
    makeFolders(where, path);
    writeMarker(path, kind);
    return { path, fresh: true };
  }
  const stat = lstatSync(path).isSymbolicLink() ? statSync(path) : lstatSync(path);
  if (!stat.isDirectory()) throw new UsageError(`${where}: is not a folder; give a new or empty folder`);
  const entries = readdirSync(path);
  if (entries.length === 0) {
    writeMarker(path, kind);
    return { path, fresh: true };
  }
  const marked = markerKind(path);
  if (marked === kind) return { path, fresh: false };
  if (marked === null && LEGACY[kind](path)) {
    writeMarker(path, kind);
    return { path, fresh: false };
  }
  const what = marked !== null ? `a Duet ${marked} folder` : `${entries.length} file${entries.length === 1 ? "" : "s"} Duet did not write (${entries.slice(0, 3).join(", ")}${entries.length > 3 ? ", …" : ""})`;
  throw new UsageError(`${where}: holds ${what}; nothing was changed. Give a new or empty folder`);
}
