/** What every store contract suite is given: a way to open a fresh, empty bundle, closed after each test. */
import { afterEach } from "vitest";
import type { Stores } from "../../src/adapters/store/index.js";

export type MakeStores = () => Promise<Stores>;

/** `open()` for a suite: each bundle it opens is closed after the test that opened it. */
export function storesOpener(make: MakeStores): () => Promise<Stores> {
  const opened: Stores[] = [];
  afterEach(async () => {
    for (const s of opened.splice(0)) await s.close();
  });
  return async () => {
    const s = await make();
    opened.push(s);
    return s;
  };
}
