// docs/ops.md is generated from the source (tools/gen-ops-doc.ts); this is the check that it is current.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { OPS_DOC_PATH, renderOpsDoc } from "../../tools/gen-ops-doc.js";

describe("docs/ops.md", () => {
  it("is what `pnpm docs:ops` generates from the current source", () => {
    const current = readFileSync(OPS_DOC_PATH, "utf8");
    const fresh = renderOpsDoc();
    if (current !== fresh) {
      const a = current.split("\n");
      const b = fresh.split("\n");
      const line = a.findIndex((l, i) => l !== b[i]);
      expect.fail(`docs/ops.md is out of date (first difference at line ${line + 1}: "${a[line] ?? ""}" vs "${b[line] ?? ""}"); run \`pnpm docs:ops\``);
    }
  });
});
