// autograd == float64 central differences, for every op of ops/layernorm.ts (properties: ../properties/layernorm.ts)
import { runFamily } from "../support/run-family.js";

runFamily("layernorm");
