// autograd == float64 central differences, for every op of ops/shape.ts (properties: ../properties/shape.ts)
import { runFamily } from "../support/run-family.js";

runFamily("shape");
