// autograd == float64 central differences, for every op of ops/gather.ts (properties: ../properties/gather.ts)
import { runFamily } from "../support/run-family.js";

runFamily("gather");
