/**
 * One remediation advancer as a process of its own, for the concurrency tests: opens the stores at argv[2] and
 * adds 1 to the counter of record "K|a" argv[3] times, each an atomic update.
 *
 *   node --import tsx test/support/remediation-advancer.ts LOCATION ROUNDS
 */
import { openStores } from "../../src/adapters/store/index.js";
import { bump } from "../contracts/records.js";

const [location, rounds] = process.argv.slice(2);
if (!location || !rounds) throw new Error("usage: remediation-advancer.ts LOCATION ROUNDS");
const stores = await openStores(location);
try {
  for (let i = 0; i < Number(rounds); i++) await bump(stores.remediation, "K|a");
} finally {
  await stores.close();
}
