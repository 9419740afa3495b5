/** Gradient properties of the activations. */

import * as A from "../../../packages/autograd/src/index.js";
import type { FamilyProperties } from "../support/cases.js";
import { elementwise } from "./unary.js";

export const activationProperties: FamilyProperties<"activation"> = {
  relu: { cases: elementwise(A.relu, "awayFromZero") },
  sigmoid: { cases: elementwise(A.sigmoid) },
  tanh: { cases: elementwise(A.tanh) },
  gelu: { cases: elementwise(A.gelu) },
  geluTanh: { cases: elementwise(A.geluTanh) },
  quickGelu: { cases: elementwise(A.quickGelu) },
  softplus: { cases: elementwise(A.softplus) },
  logSigmoid: { cases: elementwise(A.logSigmoid) },
};
