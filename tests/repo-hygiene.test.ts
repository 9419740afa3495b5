/**
 * No committed file names a folder of the machine it was made on: an absolute path under
 * /work, /tmp, /root or /home means nothing on a reader's machine or in CI's fresh clone, and
 * tells of where a result was produced rather than what it is. Recorded results name folders
 * relative to the repository; docs put scratch folders under the gitignored .cache/.
 *
 * Every file `git ls-files` lists is read as it is in the working tree (a file with a NUL byte
 * in its first 8 KB is binary and left out). Tests that make temporary folders at run time ask
 * os.tmpdir() and never spell the path, so they pass this check as they are.
 */

import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const REPO = resolve(import.meta.dirname, "..");

/** The top-level folders whose absolute paths are this kind of machine's own. */
const MACHINE_ROOTS = ["work", "tmp", "root", "home"];

/**
 * An absolute path: one of MACHINE_ROOTS right after a slash that does not continue a relative
 * path or a URL (no letter, digit, dot, dash, slash or tilde before it), then a slash.
 */
const ABSOLUTE = new RegExp(`(?<![\\w.~/-])/(?:${MACHINE_ROOTS.join("|")})/`);

/** "/" + rest: this file spells no absolute path itself, or it would trip its own check. */
const abs = (rest: string): string => `/${rest}`;

/** What must stay, and why: [file, the exact line, the reason]. */
const ALLOWED: readonly (readonly [string, string, string])[] = [
  [".gitignore", abs("tmp/"), "a gitignore pattern anchored at the repository's root (its own tmp/ folder), not a path on a machine"],
];

function isAllowed(file: string, line: string): boolean {
  return ALLOWED.some(([f, l]) => f === file && l === line.trim());
}

/** "file:line: text" for every line of `text` that holds a machine's absolute path. */
export function absolutePaths(file: string, text: string): string[] {
  return text
    .split("\n")
    .flatMap((line, i) => (ABSOLUTE.test(line) && !isAllowed(file, line) ? [`${file}:${i + 1}: ${line.trim().slice(0, 160)}`] : []));
}

function trackedFiles(): string[] | null {
  try {
    return execFileSync("git", ["ls-files", "-z"], { cwd: REPO, encoding: "utf8", maxBuffer: 64 << 20 }).split("\0").filter((f) => f !== "");
  } catch {
    return null;
  }
}

function isBinary(bytes: Buffer): boolean {
  return bytes.subarray(0, 8192).includes(0);
}

describe("the absolute-path check", () => {
  it("flags this machine's kind of absolute path, in prose, JSON, shell and code", () => {
    const lines = [
      `the Duet run ${abs("work/main/runs/demo")} (OpenMoji)`,
      `"python": "${abs("tmp/venv-clip/bin/python3")}",`,
      `DUET_PYTHON=${abs("root/venv/bin/python")} tools/reference-run.sh`,
      `cp model.safetensors '${abs("home/me/models/")}'`,
      `see (${abs("tmp/ref/batches")})`,
    ];
    for (const line of lines) expect(absolutePaths("x.md", line), line).toHaveLength(1);
  });

  it("leaves relative paths, URLs and the allowed lines alone", () => {
    const lines = [
      "runs/demo/checkpoint",
      "packages/work/tmp/file.ts",
      "https://example.org/home/index.html",
      "~/tmp/notes",
      ".cache/venv-clip/bin/python",
      "a tmp/ folder, /tmpfs, /homework",
    ];
    for (const line of lines) expect(absolutePaths("x.md", line), line).toEqual([]);
    expect(absolutePaths(".gitignore", abs("tmp/"))).toEqual([]);
    expect(absolutePaths("other/.gitignore", abs("tmp/"))).toHaveLength(1);
  });
});

const files = trackedFiles();

describe("committed files", () => {
  it.skipIf(files === null)(`hold no absolute path of this machine's kind (/${MACHINE_ROOTS.join("/, /")}/)${files === null ? " (skipped: not a git checkout, so no list of committed files)" : ""}`, () => {
    expect(files!.length).toBeGreaterThan(100);
    const found: string[] = [];
    let scanned = 0;
    for (const file of files!) {
      const path = join(REPO, file);
      if (!existsSync(path)) continue; // deleted in the working tree, not yet committed
      const bytes = readFileSync(path);
      if (isBinary(bytes)) continue;
      scanned++;
      found.push(...absolutePaths(file, bytes.toString("utf8")));
    }
    expect(scanned).toBeGreaterThan(100);
    expect(found, `absolute paths of this machine in committed files (use a repo-relative path, or .cache/ for scratch):\n${found.join("\n")}`).toEqual([]);
  });

  it("allow-list entries are each still needed (a stale one would hide nothing but mislead)", () => {
    for (const [file, line, reason] of ALLOWED) {
      expect(reason.length, `${file}: the allow-list entry needs its reason`).toBeGreaterThan(20);
      const path = join(REPO, file);
      expect(existsSync(path) && readFileSync(path, "utf8").split("\n").some((l) => l.trim() === line), `${file} no longer has the allowed line "${line}": drop it from ALLOWED`).toBe(true);
    }
  });
});
