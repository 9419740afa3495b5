// autograd == float64 central differences, for every op of ops/unary.ts (properties: ../properties/unary.ts)
import { runFamily } from "../support/run-family.js";

runFamily("unary");
