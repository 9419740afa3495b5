/**
 * Loading a state dict, as torch's `load_state_dict`, with its checks made explicit.
 *
 * For every key the module expects (its parameters and persistent buffers) and every key
 * the state dict holds:
 * - missing:     expected, not in the state dict   -> an error in strict mode (the default)
 * - unexpected:  in the state dict, not expected   -> an error in strict mode
 * - mis-shaped:  both, shapes differ               -> always an error (torch: "size mismatch")
 * - mis-typed:   both, dtypes differ               -> an error unless `convertDtype: true`,
 *                                                     which converts to the module's dtype
 * Strictness off, missing and unexpected keys are returned instead of thrown, and the keys
 * present are loaded. Nothing is written unless every check passes, so a failed load
 * leaves the module as it was (torch may have copied some tensors before it raises).
 *
 * A reader that stores F16 or BF16 hands over float32 Tensors; loading those into a
 * float32 model needs no conversion, into a float64 one `convertDtype: true`.
 */

import type { Variable } from "@duet/autograd";
import { fmtShape, shapesEqual, Tensor, TensorError } from "@duet/tensor";
import type { Module } from "./module.js";
import { ownedCopy, writeInto } from "./tensor-utils.js";

export type StateDictInput = ReadonlyMap<string, Tensor> | Readonly<Record<string, Tensor>>;

export interface LoadStateDictOptions {
  /** Throw when keys are missing or unexpected (default true), as torch's `strict`. */
  strict?: boolean;
  /** Convert tensors whose dtype differs from the module's (default false: such keys are an error). */
  convertDtype?: boolean;
}

export interface LoadStateDictResult {
  missingKeys: string[];
  unexpectedKeys: string[];
}

export interface KeyMismatch {
  key: string;
  expected: string;
  got: string;
}

/** A load that failed its checks; the lists name every offending key. */
export class StateDictError extends TensorError {
  constructor(
    op: string,
    readonly missingKeys: readonly string[],
    readonly unexpectedKeys: readonly string[],
    readonly shapeMismatches: readonly KeyMismatch[],
    readonly dtypeMismatches: readonly KeyMismatch[],
  ) {
    super(op, describeProblems(missingKeys, unexpectedKeys, shapeMismatches, dtypeMismatches));
    this.name = "StateDictError";
  }
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : word.endsWith("h") ? "es" : "s"}`;
}

function describeProblems(missing: readonly string[], unexpected: readonly string[], shapes: readonly KeyMismatch[], dtypes: readonly KeyMismatch[]): string {
  const parts: string[] = [];
  if (missing.length) parts.push(`${plural(missing.length, "missing key")}: ${missing.join(", ")}`);
  if (unexpected.length) parts.push(`${plural(unexpected.length, "unexpected key")}: ${unexpected.join(", ")}`);
  if (shapes.length) {
    parts.push(`${plural(shapes.length, "shape mismatch")}: ${shapes.map((m) => `${m.key} expected ${m.expected}, got ${m.got}`).join("; ")}`);
  }
  if (dtypes.length) {
    parts.push(
      `${plural(dtypes.length, "dtype mismatch")}: ${dtypes.map((m) => `${m.key} expected ${m.expected}, got ${m.got}`).join("; ")} (pass { convertDtype: true } to convert)`,
    );
  }
  return `cannot load the state dict: ${parts.join(" | ")}`;
}

export type LoadTarget = { kind: "parameter"; value: Variable } | { kind: "buffer"; module: Module; name: string; value: Tensor };

/** Checks `input` against `targets` (what the module expects) and, if all is well, loads it. */
export function loadStateDictInto(op: string, targets: ReadonlyMap<string, LoadTarget>, input: StateDictInput, options: LoadStateDictOptions): LoadStateDictResult {
  const strict = options.strict ?? true;
  const convert = options.convertDtype ?? false;
  const entries = toEntries(op, input);
  const given = new Map(entries);
  const missingKeys = [...targets.keys()].filter((k) => !given.has(k));
  const unexpectedKeys = entries.map(([k]) => k).filter((k) => !targets.has(k));
  const shapeMismatches: KeyMismatch[] = [];
  const dtypeMismatches: KeyMismatch[] = [];
  for (const [key, target] of targets) {
    const t = given.get(key);
    if (t === undefined) continue;
    const want = target.value;
    if (!shapesEqual(want.shape, t.shape)) shapeMismatches.push({ key, expected: fmtShape(want.shape), got: fmtShape(t.shape) });
    else if (want.dtype !== t.dtype && !convert) dtypeMismatches.push({ key, expected: want.dtype, got: t.dtype });
  }
  const keyProblems = strict && (missingKeys.length > 0 || unexpectedKeys.length > 0);
  if (keyProblems || shapeMismatches.length > 0 || dtypeMismatches.length > 0) {
    throw new StateDictError(op, strict ? missingKeys : [], strict ? unexpectedKeys : [], shapeMismatches, dtypeMismatches);
  }
  for (const [key, target] of targets) {
    const t = given.get(key);
    if (t === undefined) continue;
    if (target.kind === "parameter") writeInto(op, target.value, t);
    else target.module.setBuffer(target.name, ownedCopy(t, target.value.dtype));
  }
  return { missingKeys, unexpectedKeys };
}

function toEntries(op: string, input: StateDictInput): [string, Tensor][] {
  if (input === null || typeof input !== "object") {
    throw new TensorError(op, `stateDict must be a Map or an object of Tensors, got ${input === null ? "null" : typeof input}`);
  }
  const entries: [string, Tensor][] = input instanceof Map ? [...(input as ReadonlyMap<string, Tensor>)] : Object.entries(input as Record<string, Tensor>);
  for (const [key, t] of entries) {
    if (!(t instanceof Tensor)) {
      const got = t === null ? "null" : typeof t === "object" ? (t as object).constructor?.name ?? "object" : typeof t;
      throw new TensorError(op, `stateDict["${key}"] must be a Tensor, got ${got}`);
    }
  }
  return entries;
}
