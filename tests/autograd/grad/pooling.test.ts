// autograd == float64 central differences, for every op of ops/pooling.ts (properties: ../properties/pooling.ts)
import { runFamily } from "../support/run-family.js";

runFamily("pooling");
