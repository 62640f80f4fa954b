import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readConfigFile } from "../../adapters/config/index.js";
import { PalisadeError } from "../../core/errors/index.js";
import { loadAdmissionPolicy } from "./index.js";

const dir = mkdtempSync(join(tmpdir(), "palisade-admission-policy-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, text: string): string => {
  writeFileSync(join(dir, name), text);
  return join(dir, name);
};
const read = (p: string) => readConfigFile(p);
/** The issues a refused policy's error lists, one per line, with the directory taken off the file names. */
const issueLines = (err: unknown): string[] =>
  (err as Error).message
    .split("\n")
    .slice(1)
    .map((l) => l.trim().replace(`${dir}/`, ""));

describe("loadAdmissionPolicy", () => {
  it("loads a full policy and the exceptions file it names, relative to the policy", async () => {
    file(
      "exceptions.yaml",
      "exceptions:\n  - id: legacy-latest\n    rules: [image/forbidden-tag]\n    namespaces: [legacy]\n    reason: migrating\n",
    );
    const p = file(
      "policy.yaml",
      `apiVersion: palisade.dev/v1alpha1
kind: AdmissionPolicy
failurePolicy: Ignore
defaultMode: warn
namespaces:
  - {namespaces: [payments, "team-*"], mode: enforce}
exemptions: {namespaces: [kube-system]}
podSecurity:
  - {namespaces: ["*"], level: baseline, version: v1.30}
posture: {severity: high}
vulnerabilities: {severity: critical, advisories: [CVE-2024-3094], remediated: true, unanalysed: deny}
images: {registries: [registry.acme.internal], forbiddenTags: [latest], requireDigest: true}
signatures:
  - images: ["registry.acme.internal/*"]
    keys: [keys/release.pub]
mutation: {resolveTags: true}
rules: {image/digest-required: audit}
exceptions: exceptions.yaml
`,
    );
    const { policy, keyFiles } = await loadAdmissionPolicy(p, read);
    expect(keyFiles).toEqual({ "keys/release.pub": join(dir, "keys/release.pub") });
    expect(policy).toMatchObject({
      failurePolicy: "Ignore",
      defaultMode: "warn",
      namespaceModes: [{ namespaces: ["payments", "team-*"], mode: "enforce" }],
      exemptions: { namespaces: ["kube-system"], usernames: [], runtimeClasses: [] },
      podSecurity: [{ namespaces: ["*"], level: "baseline", version: "v1.30" }],
      posture: { severity: "high" },
      images: {
        deniedDigests: [],
        deniedVulnerabilities: ["CVE-2024-3094"],
        severityThreshold: "critical",
        onlyFixable: true,
        modes: {},
      },
      registries: ["registry.acme.internal"],
      forbiddenTags: ["latest"],
      requireDigest: true,
      remediated: true,
      unanalysed: "deny",
      signatures: [{ images: ["registry.acme.internal/*"], keys: ["keys/release.pub"], keyless: [] }],
      mutation: { resolveTags: true },
      ruleModes: { "image/digest-required": "audit" },
    });
    expect(policy.exceptions?.map((e) => [e.id, e.source?.line])).toEqual([["legacy-latest", 2]]);
  });

  it("refuses a policy with errors, naming each field and line", async () => {
    const p = file(
      "bad.yaml",
      `apiVersion: palisade.dev/v1
kind: AdmissionPolicy
defaultMode: block
namespaces:
  - namespaces: [a]
    mode: loud
vulnerabilities:
  severity: severe
  unanalysed: maybe
images:
  registries: [3]
colour: blue
exceptions:
  - rules: [x]
`,
    );
    const err = await loadAdmissionPolicy(p, read).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PalisadeError);
    expect((err as PalisadeError).code).toBe("INPUT");
    const lines = issueLines(err);
    expect(lines).toEqual([
      'bad.yaml:1: apiVersion: must be "palisade.dev/v1alpha1", got "palisade.dev/v1"',
      'bad.yaml:12: colour: unknown field "colour"',
      'bad.yaml:3: defaultMode: must be one of enforce, warn, audit, got "block"',
      'bad.yaml:6: namespaces[0].mode: must be one of enforce, warn, audit, got "loud"',
      'bad.yaml:8: vulnerabilities.severity: must be one of critical, high, medium, low, info, got "severe"',
      'bad.yaml:9: vulnerabilities.unanalysed: must be one of allow, warn, deny, got "maybe"',
      "bad.yaml:11: images.registries[0]: must be a non-empty string",
      "bad.yaml:14: exceptions[0].reason: is required",
    ]);
  });

  it("keyless identities: exact or regexp issuer and subject, and the trusted root file relative to the policy", async () => {
    const p = file(
      "keyless.yaml",
      `apiVersion: palisade.dev/v1alpha1
kind: AdmissionPolicy
signatures:
  - images: ["ghcr.io/acme/*"]
    keyless:
      - {issuer: "https://issuer.acme.example", subject: release@acme.example}
      - {issuerRegExp: "https://token\\\\.actions\\\\.githubusercontent\\\\.com", subjectRegExp: "https://github\\\\.com/acme/.+"}
    trustedRoot: sigstore/trusted_root.json
`,
    );
    const { policy, trustedRootFiles, files } = await loadAdmissionPolicy(p, read);
    expect(policy.signatures).toEqual([
      {
        images: ["ghcr.io/acme/*"],
        keys: [],
        keyless: [
          { issuer: "https://issuer.acme.example", subject: "release@acme.example" },
          {
            issuerRegExp: "https://token\\.actions\\.githubusercontent\\.com",
            subjectRegExp: "https://github\\.com/acme/.+",
          },
        ],
        trustedRoot: "sigstore/trusted_root.json",
        from: "both",
      },
    ]);
    expect(trustedRootFiles).toEqual({
      "sigstore/trusted_root.json": join(dir, "sigstore/trusted_root.json"),
    });
    expect(files).toContain(join(dir, "sigstore/trusted_root.json"));
  });

  it("refuses keyless identities that are incomplete, ambiguous or not regexps, and keyless without a root", async () => {
    const p = file(
      "keyless-bad.yaml",
      `apiVersion: palisade.dev/v1alpha1
kind: AdmissionPolicy
signatures:
  - images: [a/*]
    keyless:
      - {issuer: x}
      - {issuer: x, issuerRegExp: x, subject: z}
      - {issuer: x, subjectRegExp: "(", colour: red}
  - images: [b/*]
    keys: [k.pub]
    trustedRoot: root.json
`,
    );
    const err = await loadAdmissionPolicy(p, read).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PalisadeError);
    expect(issueLines(err)).toEqual([
      "keyless-bad.yaml:6: signatures[0].keyless[0].subject: is required (or subjectRegExp)",
      "keyless-bad.yaml:7: signatures[0].keyless[1].issuerRegExp: give issuer or issuerRegExp, not both",
      'keyless-bad.yaml:8: signatures[0].keyless[2].colour: unknown field "colour"',
      "keyless-bad.yaml:8: signatures[0].keyless[2].subjectRegExp: not a regular expression: Invalid regular expression: /(/u: Unterminated group",
      "keyless-bad.yaml:4: signatures[0].trustedRoot: is required with keyless identities (a TrustedRoot JSON file naming the certificate authority)",
      "keyless-bad.yaml:11: signatures[1].trustedRoot: is only used with keyless identities",
    ]);
  });

  it("signatures come from the registry, the bundles directory or both: globally (signaturesFrom) or per rule (from)", async () => {
    const p = file(
      "sources.yaml",
      `apiVersion: palisade.dev/v1alpha1
kind: AdmissionPolicy
signaturesFrom: registry
signatures:
  - {images: [a/*], keys: [k.pub]}
  - images: [b/*]
    keys: [k.pub]
    from: dir
  - {images: [c/*], keys: [k.pub], from: both}
`,
    );
    const { policy, signaturesFromDir } = await loadAdmissionPolicy(p, read);
    expect(policy.signatures?.map((s) => [s.images[0], s.from])).toEqual([
      ["a/*", "registry"],
      ["b/*", "dir"],
      ["c/*", "both"],
    ]);
    // The rules that need the directory, named with the line of their source.
    expect(signaturesFromDir).toEqual([`${join(dir, "sources.yaml")}:8: signatures[1]`]);
    const global = file(
      "dir-global.yaml",
      "apiVersion: palisade.dev/v1alpha1\nkind: AdmissionPolicy\nsignaturesFrom: dir\nsignatures:\n  - {images: [a/*], keys: [k.pub]}\n",
    );
    expect((await loadAdmissionPolicy(global, read)).signaturesFromDir).toEqual([
      `${join(dir, "dir-global.yaml")}:3: signatures[0]`,
    ]);
    const bad = file(
      "sources-bad.yaml",
      `apiVersion: palisade.dev/v1alpha1
kind: AdmissionPolicy
signaturesFrom: rekor
signatures:
  - images: [a/*]
    keys: [k.pub]
    from: [registry]
`,
    );
    const err = await loadAdmissionPolicy(bad, read).catch((e: unknown) => e);
    expect(issueLines(err)).toEqual([
      'sources-bad.yaml:3: signaturesFrom: must be one of registry, dir, both, got "rekor"',
      'sources-bad.yaml:7: signatures[0].from: must be one of registry, dir, both, got ["registry"]',
    ]);
  });

  it("signatures stored in another repository (cosign's COSIGN_REPOSITORY): REGISTRY/REPOSITORY, never with from: dir", async () => {
    const p = file(
      "repository.yaml",
      `apiVersion: palisade.dev/v1alpha1
kind: AdmissionPolicy
signatures:
  - {images: [a/*], keys: [k.pub], repository: sigs.acme.internal/store/signatures}
  - {images: [b/*], keys: [k.pub], repository: "localhost:5000/sigs", from: registry}
  - {images: [c/*], keys: [k.pub]}
`,
    );
    const { policy } = await loadAdmissionPolicy(p, read);
    expect(policy.signatures?.map((s) => s.repository)).toEqual([
      "sigs.acme.internal/store/signatures",
      "localhost:5000/sigs",
      undefined,
    ]);
    const bad = file(
      "repository-bad.yaml",
      `apiVersion: palisade.dev/v1alpha1
kind: AdmissionPolicy
signatures:
  - {images: [a/*], keys: [k.pub], repository: "sigs.acme.internal/store:latest"}
  - {images: [b/*], keys: [k.pub], repository: signatures}
  - {images: [c/*], keys: [k.pub], repository: [sigs.acme.internal/x]}
  - {images: [d/*], keys: [k.pub], repository: sigs.acme.internal/x, from: dir}
`,
    );
    const err = await loadAdmissionPolicy(bad, read).catch((e: unknown) => e);
    const what =
      "must be REGISTRY/REPOSITORY (where cosign stored the signatures: its COSIGN_REPOSITORY), without a tag or digest";
    expect(issueLines(err)).toEqual([
      `repository-bad.yaml:4: signatures[0].repository: ${what}`,
      `repository-bad.yaml:5: signatures[1].repository: ${what}`,
      `repository-bad.yaml:6: signatures[2].repository: ${what}`,
      "repository-bad.yaml:7: signatures[3].repository: is only used when signatures are read from a registry (from: dir)",
    ]);
  });

  it("refuses a document that is not a mapping, and a missing file, with typed errors", async () => {
    const p = file("list.yaml", "- a\n- b\n");
    await expect(loadAdmissionPolicy(p, read)).rejects.toThrow(/\(document\): expected a mapping/);
    await expect(loadAdmissionPolicy(join(dir, "missing.yaml"), read)).rejects.toBeInstanceOf(PalisadeError);
  });
});
