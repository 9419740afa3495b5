// autograd == float64 central differences, for every op of ops/activation.ts (properties: ../properties/activation.ts)
import { runFamily } from "../support/run-family.js";

runFamily("activation");
