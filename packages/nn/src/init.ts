/**
 * Initialisers, as torch.nn.init: each fills a parameter's storage in place from a seeded
 * Generator (the default generator, seeded by `manualSeed`, unless one is passed).
 *
 *   init.normal(p, 0, 0.02)                          N(0, 0.02²)
 *   init.xavierUniform(p)                            U(-a, a),  a = gain * √(6 / (fanIn + fanOut))
 *   init.kaimingUniform(p, { a: Math.sqrt(5) })      U(-b, b),  b = gain * √(3 / fan)
 *
 * Fans follow torch's `_calculate_fan_in_and_fan_out`: for a weight of shape
 * [out, in, ...kernel], receptive = prod(kernel), fanIn = in * receptive, fanOut = out * receptive.
 * Gains follow `calculate_gain`. Draws are float32 (24 random bits) for float32 parameters
 * and float64 (53 bits) for float64 ones; the streams are Duet's, not torch's, so values
 * differ from torch's but the distributions are the same.
 */

import { Variable } from "@duet/autograd";
import { defaultGenerator, fmtShape, normal as normalTensor, Tensor, TensorError, uniform as uniformTensor, type Generator } from "@duet/tensor";

/** A parameter (written in place) or a compact float Tensor (e.g. a buffer). */
export type InitTarget = Variable | Tensor;

export interface GeneratorOption {
  generator?: Generator;
}

export type Nonlinearity = "linear" | "identity" | "conv1d" | "conv2d" | "conv3d" | "sigmoid" | "tanh" | "relu" | "leaky_relu" | "selu";

function tensorOf(op: string, target: InitTarget): Tensor {
  const t = target instanceof Variable ? target.value : target;
  if (!(t instanceof Tensor)) throw new TensorError(op, `target must be a Variable or a Tensor, got ${t === null ? "null" : typeof t}`);
  if (t.dtype === "int32") throw new TensorError(op, `target must be float32 or float64, got int32 of shape ${fmtShape(t.shape)}`);
  if (!t.isCompact()) throw new TensorError(op, `target of shape ${fmtShape(t.shape)} must own compact storage to be filled in place`);
  return t;
}

function fill<T extends InitTarget>(op: string, target: T, make: (t: Tensor) => Tensor): T {
  const t = tensorOf(op, target);
  t.data.set(make(t).data);
  return target;
}

/** Fills with U(low, high). */
export function uniform<T extends InitTarget>(target: T, low = 0, high = 1, options: GeneratorOption = {}): T {
  return fill("init.uniform", target, (t) => uniformTensor(t.shape, low, high, { dtype: t.dtype, generator: options.generator ?? defaultGenerator }));
}

/** Fills with N(mean, std²). */
export function normal<T extends InitTarget>(target: T, mean = 0, std = 1, options: GeneratorOption = {}): T {
  return fill("init.normal", target, (t) => normalTensor(t.shape, mean, std, { dtype: t.dtype, generator: options.generator ?? defaultGenerator }));
}

/**
 * Fills with N(mean, std²) truncated to [a, b] (absolute bounds, as torch's trunc_normal_).
 * Rejection sampling: exact in distribution; cheap while [a, b] holds most of the mass.
 */
export function truncNormal<T extends InitTarget>(target: T, options: GeneratorOption & { mean?: number; std?: number; a?: number; b?: number } = {}): T {
  const { mean = 0, std = 1, a = -2, b = 2 } = options;
  if (!(a < b) || !(std > 0)) throw new TensorError("init.truncNormal", `expected a < b and std > 0, got a ${a}, b ${b}, std ${std}`);
  const g = options.generator ?? defaultGenerator;
  const t = tensorOf("init.truncNormal", target);
  const round = t.dtype === "float32" ? Math.fround : (v: number) => v;
  for (let i = 0; i < t.data.length; i++) {
    let v: number;
    let tries = 0;
    do {
      v = round(mean + std * g.nextNormal());
      if (++tries > 10_000) throw new TensorError("init.truncNormal", `[a, b] = [${a}, ${b}] holds almost none of N(${mean}, ${std}²)`);
    } while (v < a || v > b);
    t.data[i] = v;
  }
  return target;
}

export function constant<T extends InitTarget>(target: T, value: number): T {
  tensorOf("init.constant", target).data.fill(value);
  return target;
}

export function zeros<T extends InitTarget>(target: T): T {
  return constant(target, 0);
}

export function ones<T extends InitTarget>(target: T): T {
  return constant(target, 1);
}

/**
 * The recommended gain for a nonlinearity, as torch.nn.init.calculate_gain:
 * linear/conv/sigmoid 1, tanh 5/3, relu √2, leaky_relu √(2 / (1 + slope²)) (slope 0.01
 * by default), selu 3/4.
 */
export function calculateGain(nonlinearity: Nonlinearity, param?: number): number {
  switch (nonlinearity) {
    case "linear":
    case "identity":
    case "conv1d":
    case "conv2d":
    case "conv3d":
    case "sigmoid":
      return 1;
    case "tanh":
      return 5 / 3;
    case "relu":
      return Math.SQRT2;
    case "leaky_relu": {
      const slope = param ?? 0.01;
      if (!Number.isFinite(slope)) throw new TensorError("init.calculateGain", `negative slope must be a finite number, got ${slope}`);
      return Math.sqrt(2 / (1 + slope * slope));
    }
    case "selu":
      return 3 / 4;
    default:
      throw new TensorError("init.calculateGain", `unknown nonlinearity ${JSON.stringify(nonlinearity)}`);
  }
}

/** fanIn and fanOut of a weight shape [out, in, ...kernel] (at least 2 dims), as torch. */
export function fanInAndFanOut(shape: readonly number[]): { fanIn: number; fanOut: number } {
  if (shape.length < 2) {
    throw new TensorError("init.fanInAndFanOut", `fan in and fan out need a tensor with at least 2 dims, got shape ${fmtShape(shape)}`);
  }
  let receptive = 1;
  for (const d of shape.slice(2)) receptive *= d;
  return { fanIn: shape[1]! * receptive, fanOut: shape[0]! * receptive };
}

/** Xavier/Glorot uniform: U(-a, a), a = gain * √(6 / (fanIn + fanOut)). */
export function xavierUniform<T extends InitTarget>(target: T, options: GeneratorOption & { gain?: number } = {}): T {
  const { fanIn, fanOut } = fanInAndFanOut(tensorOf("init.xavierUniform", target).shape);
  const std = (options.gain ?? 1) * Math.sqrt(2 / (fanIn + fanOut));
  const a = Math.sqrt(3) * std;
  return uniform(target, -a, a, options);
}

/** Xavier/Glorot normal: N(0, std²), std = gain * √(2 / (fanIn + fanOut)). */
export function xavierNormal<T extends InitTarget>(target: T, options: GeneratorOption & { gain?: number } = {}): T {
  const { fanIn, fanOut } = fanInAndFanOut(tensorOf("init.xavierNormal", target).shape);
  return normal(target, 0, (options.gain ?? 1) * Math.sqrt(2 / (fanIn + fanOut)), options);
}

export interface KaimingOptions extends GeneratorOption {
  /** The negative slope of the leaky_relu after this layer (0 by default, as torch). */
  a?: number;
  /** "fan_in" (default) keeps the forward pass's variance, "fan_out" the backward pass's (torch's names). */
  mode?: "fan_in" | "fan_out";
  nonlinearity?: Nonlinearity;
}

/** The std of Kaiming init: gain / √fan. */
function kaimingStd(op: string, target: InitTarget, options: KaimingOptions): number {
  const { fanIn, fanOut } = fanInAndFanOut(tensorOf(op, target).shape);
  const fan = (options.mode ?? "fan_in") === "fan_in" ? fanIn : fanOut;
  if (fan === 0) throw new TensorError(op, `cannot initialise a tensor with a zero fan (shape ${fmtShape(tensorOf(op, target).shape)})`);
  return calculateGain(options.nonlinearity ?? "leaky_relu", options.a ?? 0) / Math.sqrt(fan);
}

/** Kaiming/He uniform: U(-b, b), b = gain * √(3 / fan). torch's Linear and Conv2d use a = √5: b = 1/√fanIn. */
export function kaimingUniform<T extends InitTarget>(target: T, options: KaimingOptions = {}): T {
  const bound = Math.sqrt(3) * kaimingStd("init.kaimingUniform", target, options);
  return uniform(target, -bound, bound, options);
}

/** Kaiming/He normal: N(0, std²), std = gain / √fan. */
export function kaimingNormal<T extends InitTarget>(target: T, options: KaimingOptions = {}): T {
  return normal(target, 0, kaimingStd("init.kaimingNormal", target, options), options);
}

/**
 * torch's default for Linear and Conv2d (`reset_parameters`): weight kaiming-uniform with
 * a = √5, which is U(-1/√fanIn, 1/√fanIn); bias U(-1/√fanIn, 1/√fanIn) (0 when fanIn = 0).
 */
export function defaultLinearInit(weight: Variable, bias: Variable | null, options: GeneratorOption = {}): void {
  kaimingUniform(weight, { a: Math.sqrt(5), generator: options.generator });
  if (bias) {
    const { fanIn } = fanInAndFanOut(weight.shape);
    const bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
    uniform(bias, -bound, bound, options);
  }
}
