/**
 * How deep a JSON file of ours may nest. JSON.parse itself takes any depth (V8 parses
 * iteratively), but the code that reads the value afterwards recurses — JSON.stringify in an
 * error message, a deep copy — and a value nested 200,000 deep overflows the stack there:
 * a crash where a clear "bad file" belongs. A config or a tokenizer file is at most five
 * levels deep (model_cfg → duet → preprocess → mean), so 64 leaves room and stays far below
 * any stack.
 */

export const MAX_JSON_DEPTH = 64;

/**
 * Null when `value` (parsed JSON) nests at most `limit` levels, else the problem as a phrase
 * for an error message ("nested deeper than 64 levels (at a.b[0])"). The walk keeps its own
 * stack, so it cannot overflow, and stops at the first level past the limit.
 */
export function jsonDepthProblem(value: unknown, limit = MAX_JSON_DEPTH): string | null {
  const stack: { value: unknown; depth: number; path: string }[] = [{ value, depth: 0, path: "" }];
  while (stack.length > 0) {
    const { value: v, depth, path } = stack.pop()!;
    if (v === null || typeof v !== "object") continue;
    if (depth >= limit) return `nested deeper than ${limit} levels${path === "" ? "" : ` (at ${shortPath(path)})`}`;
    if (Array.isArray(v)) v.forEach((item, i) => stack.push({ value: item, depth: depth + 1, path: `${path}[${i}]` }));
    else for (const [key, item] of Object.entries(v)) stack.push({ value: item, depth: depth + 1, path: path === "" ? key : `${path}.${key}` });
  }
  return null;
}

/** A path of 64 levels is long: its start says where. */
function shortPath(path: string): string {
  return path.length > 40 ? `${path.slice(0, 37)}...` : path;
}
