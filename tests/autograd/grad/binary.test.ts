// autograd == float64 central differences, for every op of ops/binary.ts (properties: ../properties/binary.ts)
import { runFamily } from "../support/run-family.js";

runFamily("binary");
