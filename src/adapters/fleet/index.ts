/** The fleet transport (NATS JetStream) and the per-cluster object state deltas are applied to. */
export * from "./disk-buffer.js";
export * from "./event-forwarding.js";
export * from "./memory-state.js";
export * from "./nats.js";
export * from "./open.js";
export * from "./ports.js";
export * from "./postgres-state.js";
export * from "./server-sink.js";
export * from "./sqlite-state.js";
