import { describe, expect, it } from "vitest";
import { runCli } from "../../../test/support/cli.js";

describe("live read bounds on the command line", () => {
  it.each([
    ["--request-timeout", "soon", '--request-timeout: "soon" is not a duration (e.g. 30s, 2m, 1h)'],
    ["--request-timeout", "0s", '--request-timeout: "0s" is not a duration (e.g. 30s, 2m, 1h)'],
    ["--cluster-timeout", "-5m", '--cluster-timeout: "-5m" is not a duration (e.g. 30s, 2m, 1h)'],
    ["--max-list-pages", "0", '--max-list-pages: "0" is not a positive whole number'],
    ["--chunk-size", "1e3", '--chunk-size: "1e3" is not a positive whole number'],
  ])("%s %s is a usage error (exit 2), before any request", async (flag, value, message) => {
    const r = await runCli(["scan", "--kubeconfig", "/nonexistent/kubeconfig", flag, value]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`palisade: ${message}\n`);
  });
});
