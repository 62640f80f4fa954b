import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll } from "vitest";
import { describeMultiClusterApi } from "../../../test/contracts/multi-cluster-api.contract.js";
import { openStores } from "../../adapters/store/index.js";

const dir = mkdtempSync(join(tmpdir(), "palisade-multi-cluster-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

describeMultiClusterApi("a SQLite file", () => openStores(join(dir, `m${n++}.db`)));
