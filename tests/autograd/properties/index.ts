/**
 * Every differentiable op's gradient property, by op name. The type demands an entry for
 * each name in the registry, so adding an op without a property does not compile; the
 * registry test checks the same at run time.
 */

import type { OpName } from "../../../packages/autograd/src/index.js";
import type { GradProperty } from "../support/cases.js";
import { activationProperties } from "./activation.js";
import { binaryProperties } from "./binary.js";
import { convProperties } from "./conv.js";
import { gatherProperties } from "./gather.js";
import { joinProperties } from "./join.js";
import { layernormProperties } from "./layernorm.js";
import { lossProperties } from "./loss.js";
import { matmulProperties } from "./matmul.js";
import { normalizeProperties } from "./normalize.js";
import { poolingProperties } from "./pooling.js";
import { reduceProperties } from "./reduce.js";
import { shapeProperties } from "./shape.js";
import { softmaxProperties } from "./softmax.js";
import { triProperties } from "./tri.js";
import { unaryProperties } from "./unary.js";
import { whereProperties } from "./where.js";

export const PROPERTIES: Record<OpName, GradProperty> = {
  ...unaryProperties,
  ...activationProperties,
  ...binaryProperties,
  ...reduceProperties,
  ...matmulProperties,
  ...softmaxProperties,
  ...layernormProperties,
  ...convProperties,
  ...poolingProperties,
  ...gatherProperties,
  ...shapeProperties,
  ...joinProperties,
  ...whereProperties,
  ...triProperties,
  ...normalizeProperties,
  ...lossProperties,
};
