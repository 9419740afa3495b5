// autograd == float64 central differences, for every op of ops/matmul.ts (properties: ../properties/matmul.ts)
import { runFamily } from "../support/run-family.js";

runFamily("matmul");
