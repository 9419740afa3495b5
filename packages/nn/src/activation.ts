/**
 * Activation layers (no parameters), as torch.nn.GELU / ReLU / Tanh and open_clip's QuickGELU.
 *
 *   GELU "none":  y = x * Φ(x) = x/2 * (1 + erf(x/√2))                       (torch's default)
 *   GELU "tanh":  y = x/2 * (1 + tanh(√(2/π) * (x + 0.044715 x³)))
 *   QuickGELU:    y = x * sigmoid(1.702 x)   (OpenAI CLIP's; open_clip's `quick_gelu: true`)
 */

import * as A from "@duet/autograd";
import { TensorError } from "@duet/tensor";
import { Module } from "./module.js";

export class GELU extends Module {
  readonly approximate: "none" | "tanh";

  constructor(approximate: "none" | "tanh" = "none") {
    super();
    if (approximate !== "none" && approximate !== "tanh") {
      throw new TensorError("GELU", `approximate must be "none" or "tanh", got ${JSON.stringify(approximate)}`);
    }
    this.approximate = approximate;
  }

  forward(x: A.Input): A.Variable {
    return this.approximate === "none" ? A.gelu(x) : A.geluTanh(x);
  }
}

export class QuickGELU extends Module {
  forward(x: A.Input): A.Variable {
    return A.quickGelu(x);
  }
}

export class ReLU extends Module {
  forward(x: A.Input): A.Variable {
    return A.relu(x);
  }
}

export class Tanh extends Module {
  forward(x: A.Input): A.Variable {
    return A.tanh(x);
  }
}

/** The activations a transformer MLP can use, by name (open_clip: GELU, or QuickGELU when `quick_gelu`). */
export type ActivationName = "gelu" | "geluTanh" | "quickGelu";

export function makeActivation(name: ActivationName): GELU | QuickGELU {
  switch (name) {
    case "gelu":
      return new GELU("none");
    case "geluTanh":
      return new GELU("tanh");
    case "quickGelu":
      return new QuickGELU();
    default:
      throw new TensorError("makeActivation", `activation must be "gelu", "geluTanh" or "quickGelu", got ${JSON.stringify(name)}`);
  }
}
