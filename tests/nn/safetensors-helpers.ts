/** Shared helpers for the safetensors tests: hand-built files and error assertions. */

import { expect } from "vitest";
import { TensorError, type Tensor } from "../../packages/tensor/src/index.js";
import { SafetensorsError } from "../../packages/nn/src/index.js";

/**
 * A safetensors file from its parts: `header` (JSON text, or an object to stringify),
 * the data section, and optionally a header length that lies.
 */
export function stFile(header: string | object, data: ArrayLike<number> | number = 0, options: { length?: bigint } = {}): Uint8Array {
  const json = new TextEncoder().encode(typeof header === "string" ? header : JSON.stringify(header));
  const body = typeof data === "number" ? new Uint8Array(data) : Uint8Array.from(data);
  const out = new Uint8Array(8 + json.length + body.length);
  new DataView(out.buffer).setBigUint64(0, options.length ?? BigInt(json.length), true);
  out.set(json, 8);
  out.set(body, 8 + json.length);
  return out;
}

/** The JSON header text of a safetensors file (padding included). */
export function headerText(bytes: Uint8Array): string {
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  return new TextDecoder().decode(bytes.subarray(8, 8 + n));
}

/** Runs `fn`, expecting a SafetensorsError whose message contains every pattern. */
export function expectSafetensorsError(fn: () => unknown, ...patterns: (string | RegExp)[]): SafetensorsError {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  if (!(caught instanceof SafetensorsError)) {
    throw new Error(`expected a SafetensorsError, got ${caught === undefined ? "no error" : String(caught)}`);
  }
  for (const pattern of patterns) {
    if (typeof pattern === "string") expect(caught.message).toContain(pattern);
    else expect(caught.message).toMatch(pattern);
  }
  return caught;
}

/** True for the errors the reader may throw on bad input: ours, never a RangeError or TypeError. */
export function isCleanError(error: unknown): boolean {
  return error instanceof TensorError && error.message.length > 0;
}

/** Equality that tells NaN from NaN-free, and -0 from 0. */
export function sameNumber(a: number, b: number): boolean {
  return Object.is(a, b);
}

/** Flat values of a tensor, as plain numbers. */
export function flatValues(t: Tensor): number[] {
  return Array.from(t.toFlatArray());
}

/** Decodes the fixture JSON's spelling of special values. */
export function decodeValue(v: number | string): number {
  if (typeof v === "number") return v;
  switch (v) {
    case "nan":
      return NaN;
    case "inf":
      return Infinity;
    case "-inf":
      return -Infinity;
    case "-0":
      return -0;
  }
  throw new Error(`unknown special value ${v}`);
}

/** The reverse of decodeValue, for writing fixture JSON. */
export function encodeValue(v: number): number | string {
  if (Number.isNaN(v)) return "nan";
  if (v === Infinity) return "inf";
  if (v === -Infinity) return "-inf";
  if (Object.is(v, -0)) return "-0";
  return v;
}
