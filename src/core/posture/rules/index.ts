/** The posture rule list. Adding a rule is adding one entry to one of these lists. */
import type { PostureRule } from "../engine.js";
import { EXPOSURE_RULES } from "./exposure.js";
import { IMAGE_RULES } from "./images.js";
import { POD_SECURITY_RULES } from "./pod-security.js";
import { SECRET_RULES } from "./secrets.js";
import { WORKLOAD_HYGIENE_RULES } from "./workload-hygiene.js";

export const RULES: readonly PostureRule[] = [
  ...POD_SECURITY_RULES,
  ...WORKLOAD_HYGIENE_RULES,
  ...IMAGE_RULES,
  ...SECRET_RULES,
  ...EXPOSURE_RULES,
];
