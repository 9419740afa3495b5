/**
 * Small composite models written with Duet's ops, mirroring tools/make_autograd_fixtures.py
 * line for line, so PyTorch's outputs and gradients can be compared directly.
 */

import { arange, causalMask, Tensor } from "../../../packages/tensor/src/index.js";
import * as A from "../../../packages/autograd/src/index.js";
import type { Input } from "../../../packages/autograd/src/index.js";

/** x @ weightᵀ + bias, as torch.nn.Linear. */
export function linear(x: Input, weight: Input, bias: Input): A.Variable {
  return A.add(A.matmul(x, A.transpose(weight)), bias);
}

export interface MlpParams {
  lnWeight: Input;
  lnBias: Input;
  fc1Weight: Input;
  fc1Bias: Input;
  fc2Weight: Input;
  fc2Bias: Input;
}

/** layerNorm -> Linear -> GELU (erf) -> Linear: the logits. */
export function mlp(x: Input, p: MlpParams): A.Variable {
  const D = (x instanceof A.Variable ? x.shape : x.shape).at(-1)!;
  const h = A.layerNorm(x, [D], p.lnWeight, p.lnBias, 1e-5);
  return linear(A.gelu(linear(h, p.fc1Weight, p.fc1Bias)), p.fc2Weight, p.fc2Bias);
}

export interface BlockParams {
  ln1Weight: Input;
  ln1Bias: Input;
  inProjWeight: Input;
  inProjBias: Input;
  outProjWeight: Input;
  outProjBias: Input;
  ln2Weight: Input;
  ln2Bias: Input;
  cFcWeight: Input;
  cFcBias: Input;
  cProjWeight: Input;
  cProjBias: Input;
}

export interface BlockOutputs {
  attentionWeights: A.Variable;
  y: A.Variable;
}

/**
 * CLIP's residual attention block on x (B, T, D): causal multi-head self-attention with
 * packed q/k/v projections, then a QuickGELU MLP, each behind a layerNorm and a residual.
 * `masking` chooses how the causal mask is applied: added (-Infinity above the diagonal)
 * or by maskedFill; both must give the same result.
 */
export function residualBlock(x: A.Variable, p: BlockParams, heads: number, masking: "add" | "maskedFill" = "add"): BlockOutputs {
  const [B, T, D] = x.shape as [number, number, number];
  const Dh = D / heads;
  const headsFirst = (t: A.Variable) => A.transpose(A.reshape(t, [B, T, heads, Dh]), 1, 2); // (B, heads, T, Dh)
  const h = A.layerNorm(x, [D], p.ln1Weight, p.ln1Bias, 1e-5);
  const [q, k, v] = A.split(linear(h, p.inProjWeight, p.inProjBias), D, -1) as [A.Variable, A.Variable, A.Variable];
  const raw = A.div(A.matmul(headsFirst(q), A.transpose(headsFirst(k))), Math.sqrt(Dh));
  const mask = causalMask(T, { dtype: x.dtype }); // 0 on and below the diagonal, -Infinity above
  const scores = masking === "add" ? A.add(raw, mask) : A.maskedFill(raw, upperMask(T), -Infinity);
  const attentionWeights = A.softmax(scores, -1);
  const attended = A.reshape(A.transpose(A.matmul(attentionWeights, headsFirst(v)), 1, 2), [B, T, D]);
  const x1 = A.add(x, linear(attended, p.outProjWeight, p.outProjBias));
  const h2 = A.layerNorm(x1, [D], p.ln2Weight, p.ln2Bias, 1e-5);
  const y = A.add(x1, linear(A.quickGelu(linear(h2, p.cFcWeight, p.cFcBias)), p.cProjWeight, p.cProjBias));
  return { attentionWeights, y };
}

/** int32 (T, T): 1 strictly above the diagonal (the positions a token may not attend to). */
function upperMask(T: number): Tensor {
  const data = new Int32Array(T * T);
  for (let i = 0; i < T; i++) for (let j = i + 1; j < T; j++) data[i * T + j] = 1;
  return new Tensor(data, [T, T]);
}

export interface ClipLossOutputs {
  logitsPerImage: A.Variable;
  loss: A.Variable;
}

/**
 * The symmetric contrastive (InfoNCE) loss of CLIP, as open_clip's ClipLoss: features are
 * L2-normalised, the logit scale is exp(logitScale) with logitScale clamped to [0, ln 100]
 * (as in the CLIP paper, or training diverges), and matching pairs sit on the diagonal.
 */
export function clipLoss(imageEmbeddings: Input, textEmbeddings: Input, logitScale: Input): ClipLossOutputs {
  const imageFeatures = A.l2Normalize(imageEmbeddings, -1);
  const textFeatures = A.l2Normalize(textEmbeddings, -1);
  const scale = A.exp(A.clamp(logitScale, 0, Math.log(100)));
  const logitsPerImage = A.mul(scale, A.matmul(imageFeatures, A.transpose(textFeatures)));
  const logitsPerText = A.transpose(logitsPerImage);
  const labels = arange(imageFeatures.shape[0]!, undefined, 1, { dtype: "int32" });
  const loss = A.div(A.add(A.crossEntropy(logitsPerImage, labels), A.crossEntropy(logitsPerText, labels)), 2);
  return { logitsPerImage, loss };
}
