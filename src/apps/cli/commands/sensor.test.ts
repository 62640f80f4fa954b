import { describe, expect, it } from "vitest";
import { runCli } from "../../../../test/support/cli.js";

describe("palisade sensor: usage errors name what is missing (exit 2), before anything is contacted", () => {
  it.each([
    [["sensor", "--cluster", "prod", "--nats", "nats://127.0.0.1:1"], /--kubeconfig/],
    [["sensor", "--kubeconfig", "k", "--nats", "nats://127.0.0.1:1"], /--cluster NAME/],
    [["sensor", "--kubeconfig", "k", "--cluster", "Prod!", "--nats", "nats://127.0.0.1:1"], /--cluster NAME/],
    [["sensor", "--kubeconfig", "k", "--cluster", "prod"], /one of --nats URL or --server URL/],
    [
      ["sensor", "--kubeconfig", "k", "--cluster", "prod", "--nats", "nats://x", "--server", "https://x"],
      /one of --nats URL or --server URL/,
    ],
    [
      ["sensor", "--kubeconfig", "k", "--cluster", "prod", "--server", "https://x"],
      /--token or PALISADE_TOKEN/,
    ],
    [
      [
        "sensor",
        "--kubeconfig",
        "k",
        "--cluster",
        "prod",
        "--server",
        "http://palisade.example",
        "--token",
        "t",
      ],
      /http/,
    ],
  ])("%j", async (argv, message) => {
    const r = await runCli(argv);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });
});
