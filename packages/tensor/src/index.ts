/**
 * @duet/tensor: n-dimensional float32, float64 and int32 arrays over flat storage with strides,
 * the ops on them (no gradients: @duet/autograd adds those), and the worker pool that splits
 * heavy kernels over threads.
 *
 * Every public name is listed here, by group: what is not listed is internal and free to
 * change. To publish a name, add it to its group's list.
 */

// Data types and storage (plain or shared), and the error every op throws
export { allocate, BYTES_PER_ELEMENT, DTYPES, dtypeOf, isFloat, promoteTypes, setShareLargeBuffers, sharesLargeBuffers, SHARED_MIN_BYTES, type DType, type TypedArray } from "./dtype.js";
export { fmtShape, TensorError } from "./errors.js";

// Shapes, strides and broadcasting
export { broadcastShapes, broadcastStrides, checkShape, contiguousStrides, normalizeAxes, normalizeAxis, shapesEqual, sizeOf, type Shape } from "./shape.js";

// Walking strided storage row by row, for kernels
export { copyStrided, forEachRow, forEachRowRange, rowCount } from "./iterate.js";

// An observer of kernel calls, for profilers
export { observeKernels, type KernelObserver } from "./profile.js";

// The Tensor
export { broadcastPair, Tensor, type NestedArray } from "./tensor.js";

// Seeded random numbers
export { defaultGenerator, Generator, manualSeed } from "./random.js";

// Creation: constants, ranges, nested arrays, random draws
export {
  arange, eye, fromArray, full, linspace, normal, ones, onesLike, rand, randn, scalar, tensor, uniform, zeros, zerosLike,
  type CreateOptions, type RandomOptions,
} from "./creation.js";

// Elementwise math: unary functions and activations, binary arithmetic and comparisons, fast exp
export {
  abs, clamp, cos, erf, exp, gelu, geluTanh, log, logSigmoid, neg, powScalar, quickGelu, relu, rsqrt, sigmoid, sin, softplus, sqrt, square, tanh,
} from "./ops/unary.js";
export { add, div, eq, ge, gt, le, lt, maximum, minimum, mul, ne, pow, sub, where, type Operand } from "./ops/binary.js";
export { EXP2_TABLE, fastExp } from "./ops/fastexp.js";

// Activations' backward passes (autograd's VJPs), with their naive reference
export {
  absBackward, activationBackwardNaive, clampBackward, geluBackward, geluTanhBackward, logSigmoidBackward, quickGeluBackward, reluBackward, sigmoidBackward,
  softplusBackward, tanhBackward, type ActivationBackwardName,
} from "./ops/activation-backward.js";

// Reductions (`var` is `variance`: var is a reserved word)
export {
  argmax, argmin, logsumexp, max, maxWithIndices, mean, min, minWithIndices, prod, reduceNaive, std, sum, var, variance,
  type Axes, type ReduceOp, type ValuesAndIndices,
} from "./ops/reduce.js";

// Matrix products: the tiled kernel, and the naive reference beside it
export { gemmNaive, matmul, matmulNaive, type GemmArgs, type GemmKernel } from "./ops/matmul.js";

// Softmax and log-softmax, forward and backward, with their naive references
export { logSoftmax, logSoftmaxBackward, softmax, softmaxBackward, softmaxBackwardNaive, softmaxNaive } from "./ops/softmax.js";

// Layer normalisation, forward and backward, with their naive references
export { layerNorm, layerNormBackward, layerNormBackwardNaive, layerNormNaive, type LayerNormGrads, type LayerNormResult } from "./ops/layernorm.js";

// Convolution and pooling
export { col2im, conv2d, conv2dNaive, im2col, toPair, window2d, type Conv2dOptions, type Size2, type Window2d } from "./ops/conv.js";
export { adaptiveAvgPool2d, avgPool2d, maxPool2d, type MaxPool2dResult } from "./ops/pooling.js";

// Indexing, joining and masks
export { embedding, gather, indexSelect, scatterAdd } from "./ops/gather.js";
export { cat, chunk, concat, split, stack } from "./ops/join.js";
export { causalMask, tril, triu } from "./ops/tri.js";
export { oneHot } from "./ops/onehot.js";

// L2 normalisation
export { l2Normalize, l2NormalizeWithNorm, type L2NormalizeResult } from "./ops/normalize.js";

// The worker pool: thread count, shared operands, parallel jobs; a browser's Web Workers as its threads
export {
  getNumThreads, isShared, MAX_THREADS, parallelFor, parseThreadCount, poolReady, poolStats, setNumThreads, sharedCopy, shutdownThreads, willSplit, type KernelName,
} from "./pool/threads.js";
export { poolPossible, startBrowserPool, type PoolStart } from "./pool/browser-host.js";

// Shared memory reported to V8, so dropped shared buffers are collected
export { newSharedArrayBuffer, SHARED_GC_BYTES, sharedMemoryReports } from "./shared-memory.js";

// Node workers' code bundled with esbuild (the pool's, the data-parallel trainer's)
export { bundleWorker, esbuildErrorText, loadEsbuild, type BundleWorkerOptions } from "./pool/bundle.js";
