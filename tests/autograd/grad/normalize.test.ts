// autograd == float64 central differences, for every op of ops/normalize.ts (properties: ../properties/normalize.ts)
import { runFamily } from "../support/run-family.js";

runFamily("normalize");
