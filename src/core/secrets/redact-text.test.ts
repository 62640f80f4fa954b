import { describe, expect, it } from "vitest";
import { redactSecretsInText } from "./index.js";

// Fake credentials in the shapes servers have echoed; none is real.
const JWT =
  "eyJhbGciOiJSUzI1NiIsImtpZCI6IjEifQ.eyJpc3MiOiJrdWJlcm5ldGVzL3NlcnZpY2VhY2NvdW50In0.c2lnbmF0dXJlLXZhbHVlLWhlcmU";
const OPAQUE = "k8sT0ken9Qx2Lw7Rb4Vn1Zc8Yd3Hf6Jm0Pa5Sg"; // 38 chars, mixed case and digits
const HEX = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b";

describe("redactSecretsInText", () => {
  it.each([
    [
      "a 403 Status.message in which a reflecting proxy echoed the Authorization header",
      `pods is forbidden: request with header Authorization: Bearer ${OPAQUE} denied`,
      "pods is forbidden: request with header Authorization: Bearer ****(redacted, 38 chars) denied",
    ],
    [
      "a service account JWT alone",
      `token ${JWT} is not valid`,
      `token ****(redacted, ${JWT.length} chars) is not valid`,
    ],
    [
      "a Basic credential",
      "upstream said: Basic dXNlcjpodW50ZXIy rejected",
      "upstream said: Basic ****(redacted, 16 chars) rejected",
    ],
    [
      "token= in a query string",
      "GET /x?token=abcd1234efgh&x=1 failed",
      "GET /x?token=****(redacted, 12 chars)&x=1 failed",
    ],
    ['a JSON "password": pair', '{"password": "hunter2!"}', '{"password": "****(redacted, 8 chars)"}'],
    ["an AWS key id keeps its public prefix", "key AKIAIOSFODNN7EXAMPLE", "key AKIA****(redacted, 20 chars)"],
    ["a long hex secret", `secret blob ${HEX}`, "secret blob ****(redacted, 40 chars)"],
    ["a bare opaque token", `x ${OPAQUE} y`, "x ****(redacted, 38 chars) y"],
    [
      "URL userinfo",
      "proxy https://u:pa55word@proxy:8080 down",
      "proxy https://u:****(redacted, 8 chars)@proxy:8080 down",
    ],
  ])("%s", (_name, input, expected) => {
    expect(redactSecretsInText(input)).toBe(expected);
  });

  it.each([
    'pods is forbidden: User "system:serviceaccount:kube-system:replicaset-controller" cannot list resource "pods" in API group "" at the cluster scope',
    'deployments.apps "payments-frontend-canary-deployment-v2" not found',
    "image registry.example.com/team/app@sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    "object uid 3f2a9c1e-7b4d-4e8a-9c2f-1a2b3c4d5e6f was modified",
    "/apis/rbac.authorization.k8s.io/v1/namespaces/team-a/rolebindings?limit=500",
    "the server could not find the requested resource",
    'Operation cannot be fulfilled on configmaps "kube-root-ca.crt": the object has been modified',
  ])("keeps ordinary Kubernetes text: %s", (text) => {
    expect(redactSecretsInText(text)).toBe(text);
  });

  describe("pathological cases", () => {
    it("cuts text longer than 2,048 characters and says so", () => {
      const out = redactSecretsInText("a ".repeat(100_000));
      expect(out.length).toBe(2048 + "... (cut)".length);
      expect(out.endsWith("... (cut)")).toBe(true);
    });

    it("a token that straddles the cut is redacted whole (none of its characters survive)", () => {
      const out = redactSecretsInText(`${"x ".repeat(1020)}${OPAQUE} tail`);
      expect(out).toBe(`${"x ".repeat(1020)}****(redacted, 38 chars)`.slice(0, 2048) + "... (cut)");
      expect(out).not.toContain(OPAQUE.slice(0, 6));
    });

    it("long runs without secrets stay linear and intact", () => {
      const run = "ab".repeat(4000);
      expect(redactSecretsInText(run)).toBe(run.slice(0, 2048) + "... (cut)");
    });
  });
});
