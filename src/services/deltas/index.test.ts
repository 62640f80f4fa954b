import { describe, expect, it } from "vitest";
import { delta } from "../../../test/contracts/cluster-state-store.contract.js";
import {
  type ClusterStateStore,
  type DeltaMessage,
  openMemoryClusterState,
} from "../../adapters/fleet/index.js";
import { applyBatch } from "./index.js";

/** In-process messages (a test double of the transport's settle calls: recorded, not sent anywhere). */
function messages(datas: string[]) {
  const settled: string[] = [];
  const ms: DeltaMessage[] = datas.map((data, i) => ({
    data,
    deliveries: 1,
    ack: async () => {
      settled.push(`ack ${i}`);
    },
    nak: () => settled.push(`nak ${i}`),
    term: () => settled.push(`term ${i}`),
  }));
  return { ms, settled };
}

describe("applyBatch", () => {
  it("terminates malformed messages, applies the rest, acknowledges only after the commit", async () => {
    const store = openMemoryClusterState();
    const order: string[] = [];
    const watched: ClusterStateStore = {
      ...store,
      apply: async (ds) => {
        const r = await store.apply(ds);
        order.push("commit");
        return r;
      },
    };
    const { ms, settled } = messages([
      JSON.stringify(delta("a", "u1", 2)),
      "{not json",
      JSON.stringify(delta("a", "u1", 2)),
    ]);
    for (const m of ms) {
      const ack = m.ack;
      m.ack = async () => {
        order.push("ack");
        await ack();
      };
    }
    const r = await applyBatch(ms, watched);
    expect(r).toEqual({
      received: 3,
      applied: 1,
      ignored: 1,
      clusters: ["a"],
      rejected: [{ message: expect.stringContaining("JSON"), deliveries: 1 }],
      unconfirmedAcks: 0,
    });
    expect(settled.sort()).toEqual(["ack 0", "ack 2", "term 1"]);
    expect(order).toEqual(["commit", "ack", "ack"]);
  });

  it("hands every valid message back (nak) and acknowledges none when the store fails", async () => {
    const failing: ClusterStateStore = {
      ...openMemoryClusterState(),
      apply: async () => {
        throw new Error("connection lost");
      },
    };
    const { ms, settled } = messages([
      JSON.stringify(delta("a", "u1", 1)),
      JSON.stringify(delta("a", "u2", 1)),
    ]);
    await expect(applyBatch(ms, failing)).rejects.toThrow("connection lost");
    expect(settled.sort()).toEqual(["nak 0", "nak 1"]);
  });
});
