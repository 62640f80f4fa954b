import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll } from "vitest";
import { describeServerApi } from "../../../test/contracts/server-api.contract.js";
import { openStores } from "../../adapters/store/index.js";

const dir = mkdtempSync(join(tmpdir(), "palisade-server-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

describeServerApi("memory", () => openStores("memory:"));
describeServerApi("a SQLite file", () => openStores(join(dir, `s${n++}.db`)));
