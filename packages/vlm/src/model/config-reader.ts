/**
 * Reading one JSON object of a model config, key by key, with defaults and errors that name
 * the file and the dotted key: `config.json: vision_cfg.width must be a positive integer, got "64"`.
 * Keys the reader never asked about are reported by `rejectUnknown`, so a typo
 * (`"patch_szie"`) fails instead of silently taking the default.
 */

import { ModelError } from "./errors.js";

type Json = unknown;

function show(value: Json): string {
  if (value === undefined) return "nothing";
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

export class ConfigReader {
  private readonly asked = new Set<string>();

  constructor(
    readonly op: string,
    readonly source: string | undefined,
    readonly object: Readonly<Record<string, Json>>,
    /** The dotted path of this object in the config ("" for the top level). */
    readonly path: string,
  ) {}

  /** Wraps `value`, which must be a JSON object. */
  static of(op: string, source: string | undefined, value: Json, path = ""): ConfigReader {
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
      throw new ModelError(op, `${path === "" ? "the config" : path} must be a JSON object, got ${show(value)}`, source);
    }
    return new ConfigReader(op, source, value as Record<string, Json>, path);
  }

  key(name: string): string {
    return this.path === "" ? name : `${this.path}.${name}`;
  }

  fail(name: string, detail: string): never {
    throw new ModelError(this.op, `${this.key(name)} ${detail}`, this.source);
  }

  has(name: string): boolean {
    return this.object[name] !== undefined && this.object[name] !== null;
  }

  raw(name: string): Json {
    this.asked.add(name);
    return this.object[name];
  }

  /** A positive integer; `fallback` when the key is absent (undefined: required). */
  positiveInt(name: string, fallback?: number): number {
    const v = this.raw(name);
    if (v === undefined || v === null) {
      if (fallback === undefined) this.fail(name, "is required (a positive integer)");
      return fallback;
    }
    if (typeof v !== "number" || !Number.isInteger(v) || v <= 0) this.fail(name, `must be a positive integer, got ${show(v)}`);
    return v;
  }

  /** A non-negative integer (an id, say). */
  nonNegativeInt(name: string, fallback: number): number {
    const v = this.raw(name);
    if (v === undefined || v === null) return fallback;
    if (typeof v !== "number" || !Number.isInteger(v) || v < 0) this.fail(name, `must be a non-negative integer, got ${show(v)}`);
    return v;
  }

  /** A finite number. */
  number(name: string, fallback: number): number {
    const v = this.raw(name);
    if (v === undefined || v === null) return fallback;
    if (typeof v !== "number" || !Number.isFinite(v)) this.fail(name, `must be a finite number, got ${show(v)}`);
    return v;
  }

  /** A finite number or null. */
  nullableNumber(name: string): number | null {
    const v = this.raw(name);
    if (v === undefined || v === null) return null;
    if (typeof v !== "number" || !Number.isFinite(v)) this.fail(name, `must be a finite number or null, got ${show(v)}`);
    return v;
  }

  bool(name: string, fallback: boolean): boolean {
    const v = this.raw(name);
    if (v === undefined || v === null) return fallback;
    if (typeof v !== "boolean") this.fail(name, `must be true or false, got ${show(v)}`);
    return v;
  }

  oneOf<T extends string>(name: string, values: readonly T[], fallback: T): T {
    const v = this.raw(name);
    if (v === undefined || v === null) return fallback;
    if (typeof v !== "string" || !values.includes(v as T)) this.fail(name, `must be one of ${values.map((x) => JSON.stringify(x)).join(", ")}, got ${show(v)}`);
    return v as T;
  }

  /** A list of exactly `length` finite numbers (`length` undefined: any non-empty length). */
  numbers(name: string, fallback: readonly number[], length?: number): number[] {
    const v = this.raw(name);
    if (v === undefined || v === null) return [...fallback];
    const ok = Array.isArray(v) && v.length > 0 && (length === undefined || v.length === length) && v.every((x) => typeof x === "number" && Number.isFinite(x));
    if (!ok) this.fail(name, `must be a list of ${length ?? "one or more"} finite numbers, got ${show(v)}`);
    return [...(v as number[])];
  }

  /** A nested object (absent: an empty one). */
  child(name: string): ConfigReader {
    const v = this.raw(name);
    return ConfigReader.of(this.op, this.source, v === undefined || v === null ? {} : v, this.key(name));
  }

  /**
   * open_clip has the key but Duet does not implement it: accept it only at open_clip's
   * default (or an equivalent value), else say so.
   */
  onlyDefault(name: string, isDefault: (v: Json) => boolean, what: string): void {
    const v = this.raw(name);
    if (v === undefined || isDefault(v)) return;
    this.fail(name, `= ${show(v)} is not supported by Duet (${what})`);
  }

  /** open_clip has the key and it does not change the model's numbers: read and ignore it. */
  ignore(...names: string[]): void {
    for (const n of names) this.asked.add(n);
  }

  /** Every key this reader was not asked about is an error naming the keys it knows. */
  rejectUnknown(): void {
    const unknown = Object.keys(this.object).filter((k) => !this.asked.has(k));
    if (unknown.length > 0) {
      const where = this.path === "" ? "the config" : this.path;
      throw new ModelError(
        this.op,
        `unknown key${unknown.length > 1 ? "s" : ""} ${unknown.map((k) => JSON.stringify(k)).join(", ")} in ${where}; known keys: ${[...this.asked].join(", ")}`,
        this.source,
      );
    }
  }
}
