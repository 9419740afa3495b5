// autograd == float64 central differences, for every op of ops/tri.ts (properties: ../properties/tri.ts)
import { runFamily } from "../support/run-family.js";

runFamily("tri");
