import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll } from "vitest";
import { describeClusterStateContract } from "../../../test/contracts/cluster-state-store.contract.js";
import { openSqliteClusterState } from "./sqlite-state.js";

const dir = mkdtempSync(join(tmpdir(), "palisade-fleet-sqlite-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
describeClusterStateContract("SQLite", async () => openSqliteClusterState(join(dir, `state-${++n}.db`)));
