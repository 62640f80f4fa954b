import { schemeFor, semver } from "../versions/index.js";
import type { SchemeResolver } from "./range.js";

/** The resolver backed by Palisade's exact version schemes (src/core/versions). */
export const DEFAULT_RESOLVER: SchemeResolver = {
  forEcosystem: (ecosystem) => schemeFor(ecosystem),
  semver,
};
