// autograd == float64 central differences, for every op of ops/conv.ts (properties: ../properties/conv.ts)
import { runFamily } from "../support/run-family.js";

runFamily("conv");
