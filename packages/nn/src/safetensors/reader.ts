/**
 * Reading safetensors from bytes: `openSafetensors` checks the header and hands out
 * tensors one at a time (a checkpoint need not be decoded all at once);
 * `parseSafetensors` decodes them all.
 */

import type { DType, Tensor } from "@duet/tensor";
import { decodeTensor, defaultTarget } from "./decode.js";
import { SafetensorsError, type SafetensorsDType } from "./format.js";
import { readHeader, type Origin, type SafetensorsEntry } from "./header.js";

export interface ReadOptions {
  /** Names the file in error messages (readSafetensors sets it to the path). */
  source?: string;
  /** What F64, F32, F16 and BF16 tensors become. Default float32. Integers become int32. */
  floatDtype?: "float32" | "float64";
  /** Per-tensor target dtype, overriding the defaults. */
  dtypes?: Readonly<Record<string, DType>> | ((name: string, stored: SafetensorsDType) => DType | undefined);
}

export interface TensorReadOptions {
  /** The dtype to decode into; default float32 for floats (or `floatDtype`), int32 for integers. */
  dtype?: DType;
}

export interface SafetensorsContents {
  readonly tensors: Map<string, Tensor>;
  readonly metadata: Readonly<Record<string, string>>;
  /** What the header says of each tensor (stored dtype, shape, offsets), in header order. */
  readonly entries: ReadonlyMap<string, SafetensorsEntry>;
}

/** A checked safetensors file in memory; tensors are decoded on request. */
export class SafetensorsReader {
  readonly metadata: Readonly<Record<string, string>>;
  readonly entries: ReadonlyMap<string, SafetensorsEntry>;
  readonly source: string | undefined;
  private readonly bytes: Uint8Array;
  private readonly dataStart: number;
  private readonly origin: Origin;
  private readonly floatDtype: DType;

  constructor(bytes: Uint8Array, options: Pick<ReadOptions, "source" | "floatDtype"> & { op?: string } = {}) {
    this.origin = { op: options.op ?? "openSafetensors", source: options.source };
    const header = readHeader(bytes, this.origin);
    this.bytes = bytes;
    this.dataStart = header.dataStart;
    this.metadata = header.metadata;
    this.entries = new Map(header.entries.map((entry) => [entry.name, entry]));
    this.source = options.source;
    this.floatDtype = options.floatDtype ?? "float32";
  }

  /** Tensor names in header order. */
  names(): string[] {
    return [...this.entries.keys()];
  }

  has(name: string): boolean {
    return this.entries.has(name);
  }

  /** Decodes one tensor into fresh memory (it never aliases the file's bytes). */
  tensor(name: string, options: TensorReadOptions = {}): Tensor {
    const entry = this.entries.get(name);
    if (entry === undefined) {
      const known = this.names();
      const list = known.length <= 10 ? known.map((n) => JSON.stringify(n)).join(", ") : `${known.length} tensors`;
      throw new SafetensorsError(this.origin.op, `no tensor named ${JSON.stringify(name)}; the file holds ${list || "no tensors"}`, { source: this.source });
    }
    return decodeTensor(this.bytes, this.dataStart, entry, options.dtype ?? defaultTarget(entry, this.floatDtype), this.origin);
  }
}

/** Checks a safetensors file's header; decode tensors with `reader.tensor(name)`. */
export function openSafetensors(bytes: Uint8Array, options: Pick<ReadOptions, "source" | "floatDtype"> = {}): SafetensorsReader {
  return new SafetensorsReader(bytes, { ...options, op: "openSafetensors" });
}

/** Checks and decodes a whole safetensors file held in memory. */
export function parseSafetensors(bytes: Uint8Array, options: ReadOptions = {}): SafetensorsContents {
  return decodeAll("parseSafetensors", new SafetensorsReader(bytes, { ...options, op: "parseSafetensors" }), options);
}

/** Decodes every tensor of a reader, as `options` ask. */
export function decodeAll(op: string, reader: SafetensorsReader, options: ReadOptions): SafetensorsContents {
  const { dtypes } = options;
  if (dtypes !== undefined && typeof dtypes !== "function") {
    for (const key of Object.keys(dtypes)) {
      if (!reader.has(key)) throw new SafetensorsError(op, `options.dtypes names ${JSON.stringify(key)}, but the file has no such tensor`, { source: reader.source });
    }
  }
  const tensors = new Map<string, Tensor>();
  for (const [name, entry] of reader.entries) {
    const dtype = typeof dtypes === "function" ? dtypes(name, entry.dtype) : dtypes !== undefined && Object.hasOwn(dtypes, name) ? dtypes[name] : undefined;
    tensors.set(name, reader.tensor(name, dtype === undefined ? {} : { dtype }));
  }
  return { tensors, metadata: reader.metadata, entries: reader.entries };
}
