/**
 * Differential test of the hits-only paths against the reference (evaluatePosture, findings filtered to one object
 * and a severity): postureHits for every object of every input as the target, and workloadPostureHits (what
 * admission runs per request) for every workload judged alone with its namespace, at every severity, the same rule
 * ids, field paths and messages in the same order. Inputs: the demo
 * manifests, the upstream Pod Security corpus (as Pods and as Deployment templates), the posture fixtures, and a
 * pathological section (malformed fields, one rule firing twice at one path, an absent owner, located sources).
 */
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { type ResourceRef, SEVERITIES, SEVERITY_RANK, type SourceLocation } from "../findings/index.js";
import { buildInventory, type RawObject } from "../inventory/index.js";
import { workloadKindOf } from "../k8s/index.js";
import { isRecord } from "../util/index.js";
import { type Json, safeContainer, safePodSpec, workload } from "./__fixtures__/builders.js";
import { evaluatePosture, type PostureHit, postureHits, workloadPostureHits } from "./index.js";
import { RULES } from "./rules/index.js";

const INVENTORY_RULES = new Set(RULES.filter((r) => r.scope === "inventory").map((r) => r.meta.id));

const yamlObjects = (file: string): Json[] =>
  parseAllDocuments(readFileSync(file, "utf8"))
    .map((d) => d.toJS() as unknown)
    .filter(isRecord);

/**
 * workloadPostureHits against the reference over each workload of `raws` alone with its namespace (the input's
 * Namespace object when there is one, else one with labels), at every severity, as admission judges an object:
 * the number of hits compared.
 */
function workloadDifferential(raws: readonly RawObject[]): number {
  let compared = 0;
  const namespaces = new Map<string, Json>();
  for (const { object } of raws)
    if (object.kind === "Namespace" && isRecord(object.metadata) && typeof object.metadata.name === "string")
      namespaces.set(object.metadata.name, object);
  for (const { object } of raws) {
    const meta = isRecord(object.metadata) ? object.metadata : {};
    if (typeof object.kind !== "string" || typeof meta.name !== "string") continue;
    if (workloadKindOf(String(object.apiVersion), object.kind) === undefined) continue;
    const ns = typeof meta.namespace === "string" ? meta.namespace : "default";
    const nsObject = namespaces.get(ns) ?? {
      apiVersion: "v1",
      kind: "Namespace",
      metadata: { name: ns, labels: { team: "t", "pod-security.kubernetes.io/enforce": "restricted" } },
    };
    const { findings } = evaluatePosture(buildInventory([{ object }, { object: nsObject }]));
    const same = (r: ResourceRef) => r.kind === object.kind && r.name === meta.name;
    const onTarget = findings.filter((f) => same(f.resource));
    for (const severity of SEVERITIES) {
      const rank = SEVERITY_RANK[severity];
      const reference: PostureHit[] = onTarget
        .filter((f) => SEVERITY_RANK[f.severity] >= rank)
        .map((f) => ({ ruleId: f.ruleId, fieldPath: f.fieldPath ?? "", message: f.message }));
      const hits = workloadPostureHits(object, { minSeverity: severity, object: same });
      if (JSON.stringify(hits) !== JSON.stringify(reference))
        expect(hits, `${object.kind}/${meta.name} alone at ${severity}`).toEqual(reference);
      compared += hits.length;
    }
  }
  return compared;
}

/**
 * Compare both paths for every object and severity, and workloadPostureHits for every workload alone; the number
 * of hits compared (so a test can see it ran).
 */
function differential(raws: readonly RawObject[]): number {
  const inv = buildInventory(raws);
  // The contract workloadPostureHits relies on: no inventory rule hits a workload's object.
  for (const f of evaluatePosture(inv).findings)
    if (INVENTORY_RULES.has(f.ruleId))
      expect(
        workloadKindOf(f.resource.apiVersion, f.resource.kind),
        `${f.ruleId} on ${f.resource.kind}`,
      ).toBe(undefined);
  const { findings } = evaluatePosture(inv);
  let compared = 0;
  for (const target of inv.objects) {
    const same = (r: ResourceRef) => r.kind === target.ref.kind && r.name === target.ref.name;
    const onTarget = findings.filter((f) => same(f.resource));
    for (const severity of SEVERITIES) {
      const rank = SEVERITY_RANK[severity];
      const reference: PostureHit[] = onTarget
        .filter((f) => SEVERITY_RANK[f.severity] >= rank)
        .map((f) => ({ ruleId: f.ruleId, fieldPath: f.fieldPath ?? "", message: f.message }));
      const hits = postureHits(inv, { minSeverity: severity, object: same });
      // Compared as text first (thousands of cases); the structural assertion shows the difference.
      if (JSON.stringify(hits) !== JSON.stringify(reference))
        expect(hits, `${target.ref.kind}/${target.ref.name} at ${severity}`).toEqual(reference);
      compared += hits.length;
    }
  }
  return compared + workloadDifferential(raws);
}

describe("postureHits gives the violations evaluatePosture gives, filtered", () => {
  it("on the demo manifests, one directory (team) at a time", () => {
    const root = fileURLToPath(new URL("../../../examples/demo/manifests/", import.meta.url));
    let compared = 0;
    for (const dir of readdirSync(root).sort()) {
      const files = readdirSync(`${root}${dir}`)
        .filter((f) => f.endsWith(".yaml"))
        .sort();
      const raws = files.flatMap((f) => yamlObjects(`${root}${dir}/${f}`)).map((object) => ({ object }));
      compared += differential(raws);
    }
    expect(compared).toBeGreaterThan(500);
  });

  it("on the upstream Pod Security corpus, each pod as a Pod and as a Deployment template", () => {
    const root = fileURLToPath(new URL("../pss/__fixtures__/upstream-testdata/", import.meta.url));
    const ns = { apiVersion: "v1", kind: "Namespace", metadata: { name: "corpus", labels: { team: "t" } } };
    let compared = 0;
    let pods = 0;
    // One inventory per folder (level, version, verdict): every pod under its own name, beside its Deployment.
    for (const level of ["baseline", "restricted"])
      for (const version of readdirSync(`${root}${level}`).sort())
        for (const verdict of ["pass", "fail"]) {
          let files: string[] = [];
          try {
            files = readdirSync(`${root}${level}/${version}/${verdict}`);
          } catch {
            continue; // no fixture of this verdict at this version
          }
          const raws: RawObject[] = [{ object: ns }];
          for (const f of files.filter((x) => x.endsWith(".yaml")).sort()) {
            const [pod] = yamlObjects(`${root}${level}/${version}/${verdict}/${f}`);
            if (pod === undefined) continue;
            pods++;
            const name = f.replace(/\.yaml$/, "");
            const meta = isRecord(pod.metadata) ? pod.metadata : {};
            raws.push({ object: { ...pod, metadata: { ...meta, name, namespace: "corpus" } } });
            raws.push({
              object: {
                apiVersion: "apps/v1",
                kind: "Deployment",
                metadata: { name, namespace: "corpus" },
                spec: { template: { metadata: meta, spec: pod.spec } },
              },
            });
          }
          compared += differential(raws);
        }
    expect(pods).toBeGreaterThan(300);
    expect(compared).toBeGreaterThan(pods);
  });

  it("on the posture fixtures", () => {
    const root = fileURLToPath(new URL("./__fixtures__/", import.meta.url));
    let compared = 0;
    for (const f of readdirSync(root).filter((x) => x.endsWith(".yaml")))
      compared += differential(yamlObjects(`${root}${f}`).map((object) => ({ object })));
    compared += differential([{ object: workload() }]);
    expect(compared).toBeGreaterThan(0);
  });

  describe("pathological cases", () => {
    it("fields of the wrong type (read as absent by both, coverage aside)", () => {
      const pod = {
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name: "odd", namespace: "x" },
        spec: {
          securityContext: "root",
          hostNetwork: "yes",
          volumes: [{ name: "h", hostPath: { path: 7 } }, "junk"],
          containers: [
            { name: "a", image: 5, securityContext: [], env: "A=1", ports: [{ hostPort: "80" }] },
            "not a container",
            { name: "b", image: "nginx", securityContext: { capabilities: { add: "ALL" } } },
          ],
        },
      };
      expect(differential([{ object: pod }])).toBeGreaterThan(0);
    });

    it("one rule firing twice at one path (ordered by finding id, as findings are)", () => {
      const value = `AKIAIOSFODNN7EXAMPLE ghp_${"A1b2C3d4E5".repeat(3)}abcdef`;
      const c = { ...safeContainer(), env: [{ name: "TOKENS", value }] };
      const dep = workload((s) => {
        s.containers = [c];
      });
      const inv = buildInventory([{ object: dep }]);
      const twice = postureHits(inv, { minSeverity: "info", object: () => true }).filter(
        (h) => h.fieldPath === "spec.template.spec.containers[0].env[0].value",
      );
      expect(twice.length).toBeGreaterThanOrEqual(2);
      differential([{ object: dep }]);
    });

    it("a Pod whose owner is absent, and objects with source positions (ordered by location first)", () => {
      const owned = {
        apiVersion: "v1",
        kind: "Pod",
        metadata: {
          name: "web-abc",
          namespace: "shop",
          ownerReferences: [{ apiVersion: "apps/v1", kind: "ReplicaSet", name: "web-5d", controller: true }],
        },
        spec: { ...safePodSpec(), hostPID: true },
      };
      const located = (object: Json, line: number, known: Record<string, number>): RawObject => ({
        object,
        source: {
          file: "m.yaml",
          line,
          column: 1,
          locate: (p: string): SourceLocation | undefined =>
            known[p] === undefined ? undefined : { file: "m.yaml", line: known[p], column: 3 },
        },
      });
      const priv = workload((s) => {
        s.containers = [{ ...safeContainer(), securityContext: { privileged: true } }, safeContainer("two")];
      });
      expect(
        differential([
          { object: owned },
          located(priv, 10, {
            "spec.template.spec.containers[0].securityContext.privileged": 30,
            "spec.template.spec.containers[1]": 12,
          }),
        ]),
      ).toBeGreaterThan(0);
    });
  });
});
