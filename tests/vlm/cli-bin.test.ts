import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

// The package bin that pnpm links into node_modules/.bin for the workspace root.
const bin = join(process.cwd(), "node_modules", ".bin", "duet");

describe("the duet package bin", () => {
  it("is linked and runs a command, with its exit status", () => {
    expect(existsSync(bin)).toBe(true);
    const ok = spawnSync(bin, ["tokenize", "--json", "--context", "8", "a photo of a dog"], { encoding: "utf8" });
    expect(ok.status).toBe(0);
    expect(JSON.parse(ok.stdout)).toEqual({ tokenizer: "clip", context_length: 8, ids: [[49406, 320, 1125, 539, 320, 1929, 49407, 0]] });
    const bad = spawnSync(bin, ["bogus"], { encoding: "utf8" });
    expect(bad.status).toBe(2);
    expect(bad.stderr.trim().split("\n")).toHaveLength(1);
  });
});
