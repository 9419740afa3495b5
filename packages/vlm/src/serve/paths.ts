/**
 * URL paths to files, refusing everything that could reach outside a served folder.
 *
 * A request names a file with the part of its path after a route's prefix, still
 * percent-encoded: `/images/file/cats/a%20b.png` -> `cats/a%20b.png`. It is split on "/"
 * first and each segment decoded once, so an encoded slash (`%2F`) stays inside its segment
 * and is refused rather than becoming a separator. Refused (403), because no honest page asks
 * for them:
 *
 *   ".." and "." segments          plain or encoded (`%2e%2e`); the classic traversal
 *   "%" left after one decoding     double encoding (`%252e%252e` -> `%2e%2e`): a server or
 *                                   proxy that decodes twice would see ".."
 *   "\" and ":"                     Windows separators and drive letters / alternate streams
 *   NUL and other control bytes     C-string truncation in whatever opens the file
 *   an encoded "/" inside a segment
 *
 * Empty segments (`//`, an absolute path after the prefix, a trailing slash) and hidden
 * names (".git", ".env") are not files we serve: 404. Finally the real path (symlinks
 * resolved) must still lie inside the real root, so a symlink pointing out is refused (403)
 * even though its name is harmless.
 */

import { realpathSync, statSync } from "node:fs";
import { join, sep } from "node:path";

export type PathRefusal = { ok: false; status: 400 | 403 | 404; reason: string };
export type PathResult = { ok: true; path: string; size: number } | PathRefusal;

const CONTROL = /[\u0000-\u001f\u007f]/;

/** The decoded segments of an encoded relative path, or why it is refused. */
export function decodeSegments(encoded: string): { ok: true; segments: string[] } | PathRefusal {
  if (CONTROL.test(encoded) || encoded.includes("\\")) return { ok: false, status: 403, reason: "control character or backslash in the path" };
  if (encoded === "") return { ok: false, status: 404, reason: "no file named" };
  const segments: string[] = [];
  for (const raw of encoded.split("/")) {
    let segment: string;
    try {
      segment = decodeURIComponent(raw);
    } catch {
      return { ok: false, status: 400, reason: "malformed percent-encoding" };
    }
    if (segment === "." || segment === "..") return { ok: false, status: 403, reason: "a '.' or '..' segment" };
    if (segment.includes("%")) return { ok: false, status: 403, reason: "'%' after decoding (double encoding)" };
    if (segment.includes("/") || segment.includes("\\") || segment.includes(":") || CONTROL.test(segment)) {
      return { ok: false, status: 403, reason: "an encoded separator, ':' or control character" };
    }
    if (segment === "") return { ok: false, status: 404, reason: "an empty segment" };
    if (segment.startsWith(".")) return { ok: false, status: 404, reason: "a hidden name" };
    segments.push(segment);
  }
  return { ok: true, segments };
}

/** Whether `path` is `root` itself or lies under it (both already resolved). */
export function isInside(root: string, path: string): boolean {
  return path === root || path.startsWith(root.endsWith(sep) ? root : root + sep);
}

/**
 * The regular file that an encoded relative path names inside `root`, or why not.
 * `root` must exist; it is resolved (symlinks too) on every call, so it may itself be a link.
 */
export function resolveInside(root: string, encoded: string): PathResult {
  const decoded = decodeSegments(encoded);
  if (!decoded.ok) return decoded;
  let realRoot: string;
  try {
    realRoot = realpathSync(root);
  } catch {
    return { ok: false, status: 404, reason: "the served folder is gone" };
  }
  const candidate = join(realRoot, ...decoded.segments);
  if (!isInside(realRoot, candidate)) return { ok: false, status: 403, reason: "outside the served folder" };
  let real: string;
  try {
    real = realpathSync(candidate);
  } catch {
    return { ok: false, status: 404, reason: "no such file" };
  }
  if (!isInside(realRoot, real)) return { ok: false, status: 403, reason: "a symlink out of the served folder" };
  try {
    const stats = statSync(real);
    if (!stats.isFile()) return { ok: false, status: 404, reason: "not a file" };
    return { ok: true, path: real, size: stats.size };
  } catch {
    return { ok: false, status: 404, reason: "no such file" };
  }
}
