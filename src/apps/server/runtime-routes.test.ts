import { describeRuntimeApi } from "../../../test/contracts/runtime-api.contract.js";

// The same suite runs on PostgreSQL in test/integration/runtime-server-postgres.test.ts.
describeRuntimeApi("a SQLite file", (file) => file);
