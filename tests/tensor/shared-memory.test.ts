import { afterAll, describe, expect, it } from "vitest";
import { add, allocate, full, SHARED_GC_BYTES, setNumThreads, sharedMemoryReports, shutdownThreads } from "@duet/tensor";

afterAll(async () => {
  await shutdownThreads();
});

const rssMb = () => process.memoryUsage().rss / 2 ** 20;

describe("shared memory is collected (V8 does not count it toward its own collections)", () => {
  it("dropped shared buffers do not pile up: 6x the report interval allocated, far less kept", () => {
    setNumThreads(2);
    const before = rssMb();
    const collections = sharedMemoryReports();
    const n = (4 * 2 ** 20) / 4; // 4 MB a buffer
    const rounds = Math.ceil((6 * SHARED_GC_BYTES) / (4 * n));
    for (let i = 0; i < rounds; i++) {
      const buffer = allocate("float32", n);
      expect(buffer.buffer).toBeInstanceOf(SharedArrayBuffer);
      buffer.fill(1); // touch the pages: untouched ones would not show in the resident size
    }
    expect(sharedMemoryReports() - collections).toBeGreaterThanOrEqual(5);
    // without the reports to V8 all 1.5 GB would stay resident
    expect(rssMb() - before).toBeLessThan((2.5 * SHARED_GC_BYTES) / 2 ** 20);
  });

  it("the worker threads let go of the buffers their jobs saw", () => {
    setNumThreads(2);
    const before = rssMb();
    const n = 2 ** 20; // 4 MB float32: an add this large is split over the pool
    for (let i = 0; i < Math.ceil((8 * SHARED_GC_BYTES) / (12 * n)); i++) {
      const c = add(full([n], 1), full([n], 2));
      expect(c.data[n - 1]).toBe(3);
    }
    expect(rssMb() - before).toBeLessThan((3 * SHARED_GC_BYTES) / 2 ** 20);
  });
});
