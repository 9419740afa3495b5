// autograd == float64 central differences, for every op of ops/join.ts (properties: ../properties/join.ts)
import { runFamily } from "../support/run-family.js";

runFamily("join");
