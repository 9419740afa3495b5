/**
 * The optimizer base: parameter groups, per-parameter state, and saving that state for an
 * exact resume, as torch.optim.Optimizer.
 *
 * - Parameter groups. An optimizer takes a list of parameters, or a list of groups
 *   `{ params, names?, lr?, weightDecay?, ... }`; a group's missing hyperparameters come from
 *   the optimizer's defaults. A schedule sets `group.lr` before each step.
 * - Updates. `step()` updates, in place, every parameter whose `.grad` is set (as torch's
 *   `param.add_`), skipping those without a gradient. It reads the gradients and never
 *   clears them: call `zeroGrad()` (or the model's) before the next backward.
 * - State. Per-parameter tensors (AdamW's `exp_avg`, `exp_avg_sq`; SGD's `momentum_buffer`)
 *   in the parameter's dtype, and per-parameter step counts. `state()` returns them as
 *   `{ meta, tensors }`: `tensors` maps `<key>.<slot>` to a copy of each tensor (ready to
 *   write as safetensors), `meta` is plain JSON (kind, group hyperparameters, parameter
 *   keys, step counts). A parameter's key is its name when its group has `names`
 *   (e.g. `visual.conv1.weight.exp_avg`), else its index over all groups (`3.exp_avg`),
 *   torch's numbering. `loadState` checks it all against this optimizer's parameters and
 *   restores it, so the next step is bit-for-bit the one an uninterrupted run would take.
 */

import { Variable } from "@duet/autograd";
import { fmtShape, shapesEqual, Tensor, TensorError } from "@duet/tensor";
import { ownedCopy } from "../tensor-utils.js";

/** Hyperparameters every optimizer has. */
export interface BaseHyper {
  lr: number;
  weightDecay: number;
}

export type HyperValue = number | boolean | number[];

export type ParamGroupInput<H> = Partial<H> & {
  params: readonly Variable[];
  /** Names of the parameters (e.g. from `namedParameters()`), used as keys in the saved state. */
  names?: readonly string[];
};

export type ParamGroup<H> = H & {
  params: Variable[];
  names: string[] | null;
};

export interface OptimizerMeta {
  kind: string;
  groups: { hyper: Record<string, HyperValue>; params: string[] }[];
  /** Steps taken per parameter key (parameters never stepped are absent). */
  steps: Record<string, number>;
}

export interface OptimizerState {
  meta: OptimizerMeta;
  tensors: Map<string, Tensor>;
}

export abstract class Optimizer<H extends BaseHyper> {
  /** "AdamW", "SGD": checked on load. */
  abstract readonly kind: string;
  readonly defaults: Readonly<H>;
  readonly paramGroups: ParamGroup<H>[];
  /** Per-parameter state tensors by slot name, in the parameter's dtype, updated in place. */
  protected readonly slots = new Map<Variable, Map<string, Tensor>>();
  protected readonly stepCounts = new Map<Variable, number>();

  protected constructor(params: readonly Variable[] | readonly ParamGroupInput<H>[], defaults: H) {
    const op = `${this.constructor.name}`;
    this.defaults = Object.freeze({ ...defaults });
    if (!Array.isArray(params) || params.length === 0) throw new TensorError(op, `params must be a non-empty list of parameters or parameter groups`);
    const groups: ParamGroupInput<H>[] = isGroupList(params) ? [...params] : [{ params: params as readonly Variable[] } as ParamGroupInput<H>];
    const seen = new Set<Variable>();
    this.paramGroups = groups.map((g, gi) => {
      if (!g || !Array.isArray(g.params)) throw new TensorError(op, `paramGroups[${gi}].params must be a list of Variables`);
      if (g.names !== undefined && g.names.length !== g.params.length) {
        throw new TensorError(op, `paramGroups[${gi}].names has ${g.names.length} names for ${g.params.length} params`);
      }
      for (const p of g.params) {
        if (!(p instanceof Variable)) throw new TensorError(op, `paramGroups[${gi}].params must hold Variables`);
        if (!p.isLeaf) throw new TensorError(op, `paramGroups[${gi}] holds a non-leaf Variable (the output of '${p.op}'): optimizers update leaves`);
        if (p.dtype === "int32") throw new TensorError(op, `paramGroups[${gi}] holds an int32 Variable of shape ${fmtShape(p.shape)}: only float parameters can be optimized`);
        if (seen.has(p)) throw new TensorError(op, `a parameter appears in more than one place (paramGroups[${gi}]): each parameter may be given once`);
        seen.add(p);
      }
      const { params: ps, names, ...hyper } = g;
      const merged = { ...defaults } as H;
      for (const [k, v] of Object.entries(hyper)) if (v !== undefined) (merged as Record<string, unknown>)[k] = v;
      // arrays (betas) are copied, so changing one group's never changes another's
      for (const [k, v] of Object.entries(merged)) if (Array.isArray(v)) (merged as Record<string, unknown>)[k] = [...(v as unknown[])];
      this.validate(merged, `paramGroups[${gi}]`);
      return { ...merged, params: [...ps], names: names ? [...names] : null };
    });
    const keys = this.paramKeys().flat();
    const dup = keys.find((k, i) => keys.indexOf(k) !== i);
    if (dup !== undefined) throw new TensorError(op, `parameter key "${dup}" appears twice: names must be unique`);
  }

  /** Throws when a group's hyperparameters are out of range. */
  protected abstract validate(hyper: H, where: string): void;

  /** Updates every parameter that has a gradient. */
  abstract step(): void;

  /** Forgets every parameter's gradient (as torch's `zero_grad(set_to_none=True)`). */
  zeroGrad(): void {
    for (const g of this.paramGroups) for (const p of g.params) p.zeroGrad();
  }

  /** Each group's parameter keys: names where given, else global indices. */
  paramKeys(): string[][] {
    let index = 0;
    return this.paramGroups.map((g) =>
      g.params.map((_, i) => {
        const position = index++; // torch numbers parameters across all groups
        return g.names ? g.names[i]! : String(position);
      }),
    );
  }

  /** The hyperparameters of a group (everything but params and names), as JSON values. */
  private hyperOf(g: ParamGroup<H>): Record<string, HyperValue> {
    const out: Record<string, HyperValue> = {};
    for (const [k, v] of Object.entries(g)) {
      if (k === "params" || k === "names") continue;
      out[k] = Array.isArray(v) ? [...(v as number[])] : (v as number | boolean);
    }
    return out;
  }

  /** A copy of the full state, for saving. */
  state(): OptimizerState {
    const keys = this.paramKeys();
    const tensors = new Map<string, Tensor>();
    const steps: Record<string, number> = {};
    this.paramGroups.forEach((g, gi) =>
      g.params.forEach((p, i) => {
        const key = keys[gi]![i]!;
        const n = this.stepCounts.get(p);
        if (n !== undefined) steps[key] = n;
        for (const [slot, t] of this.slots.get(p) ?? []) tensors.set(`${key}.${slot}`, t.clone());
      }),
    );
    return { meta: { kind: this.kind, groups: this.paramGroups.map((g, gi) => ({ hyper: this.hyperOf(g), params: keys[gi]! })), steps }, tensors };
  }

  /**
   * Restores a saved state: hyperparameters, step counts and slot tensors. The groups and
   * parameter keys must match this optimizer's, each tensor its parameter's shape, and its
   * dtype too unless `convertDtype` (as loadStateDict: a reader that decodes a float64 file
   * to float32 would otherwise lose the moments' precision silently). Checks everything
   * before changing anything.
   */
  loadState(state: OptimizerState, options: { convertDtype?: boolean } = {}): void {
    const op = `${this.kind}.loadState`;
    const { meta, tensors } = state ?? ({} as OptimizerState);
    if (!meta || !(tensors instanceof Map)) throw new TensorError(op, `state must be { meta, tensors: Map }, as state() returns`);
    if (meta.kind !== this.kind) throw new TensorError(op, `the state is for ${JSON.stringify(meta.kind)}, this optimizer is ${this.kind}`);
    const keys = this.paramKeys();
    if (!Array.isArray(meta.groups) || meta.groups.length !== keys.length) {
      throw new TensorError(op, `the state has ${meta.groups?.length} parameter groups, this optimizer has ${keys.length}`);
    }
    meta.groups.forEach((g, gi) => {
      if (g.params.join("\n") !== keys[gi]!.join("\n")) {
        throw new TensorError(op, `group ${gi}'s parameters differ: saved [${g.params.join(", ")}], here [${keys[gi]!.join(", ")}]`);
      }
    });
    const slotNames = this.slotNames();
    const loaded = new Map<Variable, Map<string, Tensor>>();
    const used = new Set<string>();
    this.paramGroups.forEach((g, gi) =>
      g.params.forEach((p, i) => {
        const key = keys[gi]![i]!;
        const slots = new Map<string, Tensor>();
        for (const slot of slotNames) {
          const t = tensors.get(`${key}.${slot}`);
          if (t === undefined) continue;
          if (!(t instanceof Tensor) || !shapesEqual(t.shape, p.shape)) {
            throw new TensorError(op, `"${key}.${slot}" must have the parameter's shape ${fmtShape(p.shape)}, got ${t instanceof Tensor ? fmtShape(t.shape) : typeof t}`);
          }
          if (t.dtype !== p.dtype && !options.convertDtype) {
            throw new TensorError(op, `"${key}.${slot}" is ${t.dtype}, its parameter ${p.dtype}; pass { convertDtype: true } to convert`);
          }
          slots.set(slot, ownedCopy(t, p.dtype));
          used.add(`${key}.${slot}`);
        }
        if (slots.size > 0) loaded.set(p, slots);
      }),
    );
    const unknown = [...tensors.keys()].filter((k) => !used.has(k));
    if (unknown.length > 0) throw new TensorError(op, `unexpected state tensors: ${unknown.join(", ")}`);
    const allKeys = new Set(keys.flat());
    for (const [key, n] of Object.entries(meta.steps ?? {})) {
      if (!allKeys.has(key) || !Number.isInteger(n) || n < 0) throw new TensorError(op, `bad step count ${JSON.stringify(key)}: ${n}`);
    }
    meta.groups.forEach((g, gi) => this.validate({ ...this.defaults, ...g.hyper } as H, `saved group ${gi}`));
    // all checked: apply
    this.paramGroups.forEach((g, gi) => {
      for (const [k, v] of Object.entries(meta.groups[gi]!.hyper)) (g as unknown as Record<string, unknown>)[k] = Array.isArray(v) ? [...v] : v;
    });
    this.slots.clear();
    for (const [p, s] of loaded) this.slots.set(p, s);
    this.stepCounts.clear();
    this.paramGroups.forEach((g, gi) =>
      g.params.forEach((p, i) => {
        const n = meta.steps[keys[gi]![i]!];
        if (n !== undefined) this.stepCounts.set(p, n);
      }),
    );
  }

  /** The slot names this optimizer keeps per parameter. */
  protected abstract slotNames(): readonly string[];
}

function isGroupList<H>(params: readonly Variable[] | readonly ParamGroupInput<H>[]): params is readonly ParamGroupInput<H>[] {
  const first = params[0] as unknown;
  return typeof first === "object" && first !== null && "params" in first && !("value" in first);
}

/** Rounds a JS number to the parameter's precision after each op, as torch's float32 kernels do. */
export function rounder(dtype: string): (v: number) => number {
  return dtype === "float32" ? Math.fround : (v: number) => v;
}
