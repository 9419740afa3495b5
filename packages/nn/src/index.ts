/**
 * @duet/nn: modules and layers with PyTorch's parameter names and layouts, initialisers,
 * optimizers, learning-rate schedules and the safetensors format. Everything here runs in a
 * browser too; what needs Node (safetensors files on disk) is the subpath @duet/nn/node.
 */

export { Module } from "./module.js";
export { StateDictError, type KeyMismatch, type LoadStateDictOptions, type LoadStateDictResult, type StateDictInput } from "./state-dict.js";
export type { LayerOptions } from "./options.js";
export { Identity, ModuleList, Sequential, type UnaryModule } from "./containers.js";
export { Linear, type LinearOptions } from "./linear.js";
export { Conv2d, type Conv2dLayerOptions } from "./conv.js";
export { Embedding } from "./embedding.js";
export { LayerNorm, type LayerNormOptions } from "./layernorm.js";
export { BatchNorm2d, type BatchNorm2dOptions } from "./batchnorm.js";
export { Dropout, dropout, type DropoutOptions } from "./dropout.js";
export { GELU, QuickGELU, ReLU, Tanh, makeActivation, type ActivationName } from "./activation.js";
export { AvgPool2d, MaxPool2d, AdaptiveAvgPool2d } from "./pooling.js";
export { MultiheadAttention, type MultiheadAttentionOptions, type AttentionCallOptions, type AttentionWithWeights } from "./attention.js";
export {
  LayerScale,
  MLP,
  ResidualAttentionBlock,
  Transformer,
  type MLPOptions,
  type ResidualAttentionBlockOptions,
  type TransformerOptions,
  type BlockCallOptions,
} from "./transformer.js";
export { AttentionalPooler, type AttentionalPoolerOptions } from "./attentional-pooler.js";
export { KeyValueCache, crossAttentionCache, crossAttentionStep, selfAttentionStep, type CachedStepOptions } from "./kv-cache.js";
export * as init from "./init.js";

export { Optimizer, type BaseHyper, type ParamGroup, type ParamGroupInput, type OptimizerMeta, type OptimizerState, type HyperValue } from "./optim/optimizer.js";
export { AdamW, type AdamWHyper } from "./optim/adamw.js";
export { SGD, type SGDHyper } from "./optim/sgd.js";
export { paramGroupsNoDecayForNdimLe1, excludedFromWeightDecay } from "./optim/param-groups.js";
export { constLr, cosineLr, constLrCooldown, assignLearningRate, type LrSchedule, type CooldownOptions } from "./optim/schedule.js";
export { clipGradNorm, type ClipGradNormOptions } from "./optim/clip-grad.js";
export { accumulateGradients } from "./optim/accumulate.js";

export * from "./safetensors/index.js";
