/** PAL-SEC-007: a Secret manifest committed with values. Key names only, never values; manifests only. */
import { describe, expect, it } from "vitest";
import { buildInventory, type InputOrigin, type RawObject } from "../inventory/index.js";
import { evaluatePosture } from "./index.js";

/** A Flux post-build substitution reference, as written in the manifest. */
const FLUX_REF = ["$", "{DB_PASSWORD}"].join("");
const VALUES = ["cG9zdGdyZXM6Ly9hZG1pbjpodW50ZXIy", "hunter2-plain", "sk_live_0123456789"];

const secret = (extra: Record<string, unknown>, name = "db"): Record<string, unknown> => ({
  apiVersion: "v1",
  kind: "Secret",
  metadata: { name, namespace: "shop" },
  type: "Opaque",
  ...extra,
});

function findings(origin: InputOrigin | undefined, ...objects: Record<string, unknown>[]) {
  const raws: RawObject[] = objects.map((object) => ({
    object,
    source: { file: "deploy/secrets.yaml", line: 3, column: 1 },
    ...(origin ? { origin } : {}),
  }));
  return evaluatePosture(buildInventory(raws)).findings.filter((f) => f.ruleId === "PAL-SEC-007");
}

describe("PAL-SEC-007 Secret values committed in a manifest", () => {
  it("reports the kind, field and key names of a committed Secret, never its values", () => {
    const fs = findings(
      "manifest",
      secret({
        data: { url: VALUES[0], empty: "" },
        stringData: { password: VALUES[1], "api-key": VALUES[2] },
      }),
    );
    expect(fs.map((f) => [f.severity, f.resource, f.fieldPath, f.evidence, f.message, f.location])).toEqual([
      [
        "high",
        { apiVersion: "v1", kind: "Secret", namespace: "shop", name: "db" },
        "data",
        "data: url; stringData: api-key, password (values redacted)",
        'Secret "db" is committed with 3 value(s) in deploy/secrets.yaml (data: url; stringData: api-key, password): the file, not the cluster, holds the credential',
        { file: "deploy/secrets.yaml", line: 3, column: 1 },
      ],
    ]);
    const text = JSON.stringify(fs);
    for (const v of VALUES) expect(text).not.toContain(v);
  });

  it("is silent for empty values and for service-account-token Secrets the controller fills in", () => {
    expect(
      findings(
        "manifest",
        secret({ data: { password: "" }, stringData: {} }),
        secret(
          {
            type: "kubernetes.io/service-account-token",
            metadata: {
              name: "sa-token",
              namespace: "shop",
              annotations: { "kubernetes.io/service-account.name": "app" },
            },
          },
          "sa-token",
        ),
      ),
    ).toEqual([]);
  });

  it("is silent for encrypted (SOPS) manifests and for values substituted at apply time", () => {
    expect(
      findings(
        "manifest",
        secret({
          data: { password: "ENC[AES256_GCM,data:8QbD3z0=,iv:3o2m,tag:Qm9v,type:str]" },
          sops: { lastmodified: "2026-11-01T10:00:00Z", version: "3.9.1" },
        }),
        secret(
          {
            stringData: { password: FLUX_REF, user: "ENC[AES256_GCM,data:aGk=,iv:x,tag:y,type:str]" },
          },
          "flux",
        ),
      ),
    ).toEqual([]);
    // A literal beside a reference is still committed.
    expect(
      findings("manifest", secret({ stringData: { password: FLUX_REF, user: "admin" } })).map(
        (f) => f.evidence,
      ),
    ).toEqual(["stringData: user (values redacted)"]);
  });

  it("applies to manifests only: a snapshot or a live cluster naturally holds Secret values", () => {
    const s = secret({ data: { password: VALUES[0] } });
    expect(findings("snapshot", s)).toEqual([]);
    expect(findings("cluster", s)).toEqual([]);
    // An input of unknown origin is not said to be committed.
    expect(findings(undefined, s)).toEqual([]);
    expect(findings("manifest", s).length).toBe(1);
  });

  it("sees the values inside a List manifest too", () => {
    const list = {
      apiVersion: "v1",
      kind: "List",
      items: [secret({ stringData: { token: VALUES[2] } }, "tok")],
    };
    expect(findings("manifest", list).map((f) => f.evidence)).toEqual([
      "stringData: token (values redacted)",
    ]);
  });
});
