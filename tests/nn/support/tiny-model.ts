/**
 * The optimizer fixtures' model, as TinyModel in tools/make_nn_fixtures.py:
 *   out = fc2(tanh(ln(fc1(x)))) * exp(logit_scale);  loss = mean((out - y)^2)
 * Parameter names and order are torch's: logit_scale, fc1.*, ln.*, fc2.*.
 */

import * as A from "../../../packages/autograd/src/index.js";
import { scalar, type Tensor } from "../../../packages/tensor/src/index.js";
import { LayerNorm, Linear, Module } from "../../../packages/nn/src/index.js";

export class TinyModel extends Module {
  constructor(dtype: "float32" | "float64") {
    super();
    this.registerModule("fc1", new Linear(3, 4, { dtype }));
    this.registerModule("ln", new LayerNorm(4, { dtype }));
    this.registerModule("fc2", new Linear(4, 2, { dtype }));
    this.registerParameter("logit_scale", scalar(0.3, { dtype }));
  }

  forward(x: Tensor): A.Variable {
    const h = A.tanh(this.child<LayerNorm>("ln").forward(this.child<Linear>("fc1").forward(x)));
    return A.mul(this.child<Linear>("fc2").forward(h), A.exp(this.param("logit_scale")));
  }

  loss(x: Tensor, y: Tensor): A.Variable {
    return A.mean(A.square(A.sub(this.forward(x), y)));
  }
}
