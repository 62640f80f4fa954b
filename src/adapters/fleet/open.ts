/**
 * Open the fleet object state where `palisade serve` keeps its stores: a `postgres://` URL (schema from `?schema=`,
 * default "palisade"), `memory:` for a private in-memory one, or a SQLite file path.
 */
import { isPostgresUrl } from "../store/index.js";
import { openMemoryClusterState } from "./memory-state.js";
import type { ClusterStateStore } from "./ports.js";
import { openPgClusterState } from "./postgres-state.js";
import { openSqliteClusterState } from "./sqlite-state.js";

export async function openClusterState(location: string): Promise<ClusterStateStore> {
  if (isPostgresUrl(location)) return openPgClusterState(location);
  if (/^memory:/i.test(location)) return openMemoryClusterState();
  return openSqliteClusterState(location);
}
