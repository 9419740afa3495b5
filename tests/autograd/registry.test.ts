/**
 * The registry of differentiable ops is complete, and so is everything it drives: each op
 * has a spec, an exported function in its family's file, a gradient property run by its
 * family's test file, and an entry in docs/ops.md. Adding an op to the registry without
 * one of these fails here.
 */

import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import * as A from "../../packages/autograd/src/index.js";
import { FAMILIES, OP_FAMILIES, OP_NAMES, opSpec, registeredOps } from "../../packages/autograd/src/index.js";
import { PROPERTIES } from "./properties/index.js";
import { DEFAULT_RUNS, propertyTitle } from "./support/cases.js";

const ROOT = join(import.meta.dirname, "..", "..");
const read = (path: string) => readFileSync(join(ROOT, path), "utf8");

describe("the op registry", () => {
  it("names every op once", () => {
    expect(new Set(OP_NAMES).size).toBe(OP_NAMES.length);
    expect(OP_NAMES.length).toBeGreaterThanOrEqual(60);
  });

  it("has a complete spec for every op, registered when the package loads", () => {
    expect(registeredOps().map((s) => s.name)).toEqual([...OP_NAMES]);
    for (const name of OP_NAMES) {
      const spec = opSpec(name);
      expect(spec.inputs.length, `${name}: inputs`).toBeGreaterThan(0);
      for (const field of ["forward", "backward", "saved"] as const) {
        expect(spec[field].trim().length, `${name}: ${field} is empty`).toBeGreaterThan(0);
      }
      // forward and backward are printed inside code spans in docs/ops.md
      expect(spec.forward + spec.backward, `${name}: no backticks or newlines in the math`).not.toMatch(/[`\n]/);
    }
  });

  it("exports each op from @duet/autograd, defined in its family's file", () => {
    for (const family of FAMILIES) {
      const source = read(`packages/autograd/src/ops/${family}.ts`);
      for (const name of OP_FAMILIES[family]) {
        expect(typeof (A as Record<string, unknown>)[name], `${name} is not exported`).toBe("function");
        expect(source, `ops/${family}.ts does not define ${name}`).toContain(`export function ${name}(`);
        expect(source, `ops/${family}.ts does not register ${name}`).toMatch(new RegExp(`defineOp\\(\\{\\s*name: "${name}"`));
      }
    }
  });
});

describe("every op is covered", () => {
  it("by a gradient property with a fixed seed and 25 to 100 runs", () => {
    expect(Object.keys(PROPERTIES).sort()).toEqual([...OP_NAMES].sort());
    for (const name of OP_NAMES) {
      const runs = PROPERTIES[name].numRuns ?? DEFAULT_RUNS;
      expect(runs, `${name}: runs`).toBeGreaterThanOrEqual(25);
      expect(runs, `${name}: runs`).toBeLessThanOrEqual(100);
    }
  });

  it("by a test file that runs its family's properties", () => {
    for (const family of FAMILIES) {
      const path = `tests/autograd/grad/${family}.test.ts`;
      expect(existsSync(join(ROOT, path)), `${path} is missing`).toBe(true);
      expect(read(path), `${path} must call runFamily("${family}")`).toMatch(new RegExp(`^runFamily\\("${family}"\\);`, "m"));
    }
  });

  it("by an entry in docs/ops.md naming its test", () => {
    const doc = read("docs/ops.md");
    for (const family of FAMILIES) {
      for (const name of OP_FAMILIES[family]) {
        const start = doc.indexOf(`### \`${name}\`\n`);
        expect(start, `docs/ops.md has no entry for ${name}`).toBeGreaterThanOrEqual(0);
        const next = doc.indexOf("\n### ", start + 1);
        const entry = doc.slice(start, next < 0 ? undefined : next);
        expect(entry).toContain(`- test: tests/autograd/grad/${family}.test.ts › "${propertyTitle(name)}"`);
        expect(entry).toContain(`- backward: \``);
      }
    }
  });
});
