export { WORKLOAD_KINDS } from "../k8s/index.js";
export type { BuildOptions, InventoryBuilder, InventoryBuildOptions } from "./build.js";
export {
  buildInventory,
  expandLists,
  inventoryBuilder,
  LAST_APPLIED_ANNOTATION,
  normalizeObject,
  REDACTED_VALUE,
  resolveTeam,
  stripSecretValues,
} from "./build.js";
export type { PathSegment } from "./field-path.js";
export { formatFieldPath, joinPath, parseFieldPath } from "./field-path.js";
export type { ImageRef, ImageRefResult } from "./image-ref.js";
export { DEFAULT_REGISTRY, formatImageRef, parseImageRef } from "./image-ref.js";
export { inferListItemType, listItemKind, needsListType } from "./list-items.js";
export { sourceLocation } from "./location.js";
export type {
  ContainerInfo,
  ContainerType,
  InputOrigin,
  Inventory,
  KObject,
  Labels,
  NamespaceInfo,
  ObjectSource,
  OwnershipConfig,
  RawObject,
  Workload,
  WorkloadKind,
} from "./model.js";
export { DEFAULT_OWNERSHIP } from "./model.js";
export { slimObject } from "./slim.js";
