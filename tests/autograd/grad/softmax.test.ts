// autograd == float64 central differences, for every op of ops/softmax.ts (properties: ../properties/softmax.ts)
import { runFamily } from "../support/run-family.js";

runFamily("softmax");
