// autograd == float64 central differences, for every op of ops/where.ts (properties: ../properties/where.ts)
import { runFamily } from "../support/run-family.js";

runFamily("where");
