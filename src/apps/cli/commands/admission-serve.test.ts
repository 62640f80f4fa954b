import { existsSync, mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, type Served, serve } from "../../../../test/support/admission-serve.js";
import { makeTestCerts, type TestCerts } from "../../../../test/support/tls.js";
import { openStores } from "../../../adapters/store/index.js";
import { reviewForCreate } from "../../../services/admission/index.js";

const POD = {
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name: "web", namespace: "shop" },
  spec: { containers: [{ name: "app", image: "nginx:1.27", securityContext: { privileged: true } }] },
};
const policy = (mode: string) =>
  `apiVersion: palisade.dev/v1alpha1\nkind: AdmissionPolicy\ndefaultMode: ${mode}\npodSecurity:\n  - {namespaces: ["*"], level: baseline}\n`;

describe("palisade admission serve reloads its policy file", () => {
  let dir: string;
  let certs: TestCerts;
  let served: Served;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "palisade-admission-reload-"));
    certs = makeTestCerts(join(dir, "tls"));
    writeFileSync(join(dir, "policy.yaml"), policy("audit"));
    writeFileSync(join(dir, "ns.yaml"), "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n");
    // A database that exists: the webhook records its decisions there.
    await (await openStores(join(dir, "x.db"))).close();
    served = await serve(
      [
        "--policy",
        join(dir, "policy.yaml"),
        "--namespaces",
        join(dir, "ns.yaml"),
        "--db",
        join(dir, "x.db"),
        "--cluster",
        "east",
      ],
      certs,
    );
  }, 60_000);
  afterAll(() => {
    served?.proc.kill("SIGTERM");
    rmSync(dir, { recursive: true, force: true });
  });

  const allowed = async (uid: string) =>
    (
      JSON.parse((await served.call("POST", "/validate", reviewForCreate(POD, uid))).text) as {
        response: { allowed: boolean };
      }
    ).response.allowed;
  const readyz = async () =>
    JSON.parse((await served.call("GET", "/readyz")).text) as {
      status: string;
      policy: { status: string; generation: number; error?: string };
    };

  it("applies a changed file, keeps the old policy on a bad one (logged, counted, in /readyz), recovers", async () => {
    expect(await allowed("r1")).toBe(true);
    expect((await readyz()).policy).toEqual({ status: "current", generation: 1 });

    // An editor's save: write a temporary file and rename it over the policy.
    writeFileSync(join(dir, "policy.yaml.tmp"), policy("enforce"));
    renameSync(join(dir, "policy.yaml.tmp"), join(dir, "policy.yaml"));
    await eventually(async () => (await readyz()).policy.generation === 2, "the reload");
    expect(await allowed("r2")).toBe(false);

    writeFileSync(join(dir, "policy.yaml"), policy("sometimes"));
    await eventually(async () => (await readyz()).policy.status === "stale", "the failed reload");
    const r = await readyz();
    expect(r.status).toBe("ready");
    expect(r.policy.generation).toBe(2);
    expect(r.policy.error).toContain("policy.yaml:3: defaultMode: must be one of");
    expect(await allowed("r3")).toBe(false);
    expect(served.stderr()).toContain("admission policy reload failed, keeping the previous policy");
    const metrics = (await served.call("GET", "/metrics")).text;
    expect(metrics).toMatch(/^palisade_admission_policy_stale 1$/m);
    expect(metrics).toMatch(/^palisade_admission_policy_reload_failures_total [1-9]/m);

    writeFileSync(join(dir, "policy.yaml"), policy("audit"));
    await eventually(async () => (await readyz()).policy.status === "current", "the recovery");
    expect(await allowed("r4")).toBe(true);
  }, 60_000);

  it("records its decisions in the store, off the review's path (batched), and counts them", async () => {
    const recorded = async () =>
      Number(
        /^palisade_admission_decisions_recorded_total (\d+)$/m.exec(
          (await served.call("GET", "/metrics")).text,
        )?.[1],
      );
    await eventually(async () => (await recorded()) >= 4, "the earlier decisions to be recorded");
    const before = await recorded();
    for (const uid of ["d1", "d2", "d3"]) await allowed(uid);
    await eventually(async () => (await recorded()) >= before + 3, "the decisions to be recorded");
    const stores = await openStores(join(dir, "x.db"));
    try {
      const page = await stores.admissionDecisions.list({ limit: 3 });
      expect(page.items.map((d) => [d.uid, d.cluster, d.kind, d.namespace, d.name, d.operation])).toEqual([
        ["d3", "east", "Pod", "shop", "web", "CREATE"],
        ["d2", "east", "Pod", "shop", "web", "CREATE"],
        ["d1", "east", "Pod", "shop", "web", "CREATE"],
      ]);
      expect(page.items[0]?.rules).toEqual(["pss/privileged"]);
    } finally {
      await stores.close();
    }
    expect((await served.call("GET", "/metrics")).text).toMatch(
      /^palisade_admission_decisions_dropped_total 0$/m,
    );
  }, 60_000);
});

describe("palisade admission serve without a database file", () => {
  let dir: string;
  let served: Served;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "palisade-admission-nodb-"));
    const certs = makeTestCerts(join(dir, "tls"));
    writeFileSync(join(dir, "ns.yaml"), "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n");
    served = await serve(["--namespaces", join(dir, "ns.yaml"), "--db", join(dir, "missing.db")], certs);
  }, 60_000);
  afterAll(() => {
    served?.proc.kill("SIGTERM");
    rmSync(dir, { recursive: true, force: true });
  });

  it("records no decisions (they would pile up in its memory, unread) and says so at start", async () => {
    const answer = JSON.parse((await served.call("POST", "/validate", reviewForCreate(POD, "m1"))).text) as {
      response: { uid: string; allowed: boolean };
    };
    expect(answer.response).toEqual({ uid: "m1", allowed: true });
    expect(served.stderr()).toContain(
      `palisade: no database at ${join(dir, "missing.db")}: admission decisions are not recorded (--db names one)`,
    );
    const metrics = (await served.call("GET", "/metrics")).text;
    expect(metrics).toMatch(
      /^palisade_admission_decisions_total\{endpoint="validate",result="allowed"\} 1$/m,
    );
    expect(metrics).not.toContain("palisade_admission_decisions_recorded_total");
    expect(existsSync(join(dir, "missing.db"))).toBe(false);
  }, 60_000);
});
