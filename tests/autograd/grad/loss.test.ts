// autograd == float64 central differences, for every op of ops/loss.ts (properties: ../properties/loss.ts)
import { runFamily } from "../support/run-family.js";

runFamily("loss");
