// autograd == float64 central differences, for every op of ops/reduce.ts (properties: ../properties/reduce.ts)
import { runFamily } from "../support/run-family.js";

runFamily("reduce");
