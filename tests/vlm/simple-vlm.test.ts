/**
 * The seed's toy, examples/simple-vlm.ts, runs: a tiny CNN and a tiny transformer learn to
 * pair random images with random captions, so the contrastive loss falls well below chance
 * (ln of the batch size) within a few AdamW steps.
 */

import { describe, expect, it } from "vitest";
import { main } from "../../examples/simple-vlm.js";

describe("examples/simple-vlm.ts", () => {
  it("the loss decreases over a few AdamW steps", () => {
    const lines: string[] = [];
    const { losses, logitScale } = main({ steps: 8, batchSize: 8, seed: 0, log: (l) => lines.push(l) });
    expect(losses).toHaveLength(8);
    expect(lines).toHaveLength(8);
    losses.forEach((l) => expect(Number.isFinite(l)).toBe(true));
    expect(losses[7]!).toBeLessThan(losses[0]! * 0.5);
    expect(losses[7]!).toBeLessThan(Math.log(8));
    expect(logitScale).toBeGreaterThan(1);
    expect(logitScale).toBeLessThanOrEqual(100);
  });
});
