import { describe, expect, it } from "vitest";
import { buildInventory, compactMember, LAST_APPLIED_ANNOTATION, REDACTED_VALUE } from "./build.js";
import type { RawObject } from "./model.js";
import { slimObject } from "./slim.js";

const podSpec = (image = "nginx:1.25") => ({ containers: [{ name: "app", image }] });

function obj(
  apiVersion: string,
  kind: string,
  name: string,
  extra: Record<string, unknown> = {},
  meta: Record<string, unknown> = {},
): RawObject {
  return { object: { apiVersion, kind, metadata: { name, namespace: "shop", ...meta }, ...extra } };
}

const owner = (kind: string, name: string, uid?: string) => ({
  ownerReferences: [{ apiVersion: "apps/v1", kind, name, controller: true, ...(uid ? { uid } : {}) }],
});

describe("buildInventory", () => {
  it("resolves owner chains: Pod -> ReplicaSet -> Deployment belongs to the Deployment", () => {
    const inv = buildInventory([
      obj("apps/v1", "Deployment", "web", {
        spec: { replicas: 3, template: { metadata: { labels: { app: "web" } }, spec: podSpec() } },
      }),
      obj(
        "apps/v1",
        "ReplicaSet",
        "web-5d8f",
        { spec: { template: { spec: podSpec() } } },
        owner("Deployment", "web"),
      ),
      obj("v1", "Pod", "web-5d8f-abc", { spec: podSpec() }, owner("ReplicaSet", "web-5d8f")),
    ]);
    expect(
      inv.workloads.map((w) => ({
        ref: w.ref,
        owned: w.owned,
        pods: w.pods.map((p) => p.ref.name),
        replicas: w.replicas,
        podLabels: { ...w.podLabels },
      })),
    ).toEqual([
      {
        ref: { apiVersion: "apps/v1", kind: "Deployment", namespace: "shop", name: "web" },
        owned: [
          { apiVersion: "apps/v1", kind: "ReplicaSet", namespace: "shop", name: "web-5d8f" },
          { apiVersion: "v1", kind: "Pod", namespace: "shop", name: "web-5d8f-abc" },
        ],
        pods: ["web-5d8f-abc"],
        replicas: 3,
        podLabels: { app: "web" },
      },
    ]);
    expect(inv.coverage).toEqual([]);
  });

  it("CronJob -> Job -> Pod, matched by uid when present, and the pod spec path of each kind", () => {
    const inv = buildInventory([
      obj(
        "batch/v1",
        "CronJob",
        "nightly",
        {
          spec: { schedule: "0 1 * * *", jobTemplate: { spec: { template: { spec: podSpec("busybox") } } } },
        },
        { uid: "cj-1" },
      ),
      obj(
        "batch/v1",
        "Job",
        "nightly-123",
        { spec: { template: { spec: podSpec("busybox") } } },
        { uid: "job-1", ...owner("CronJob", "renamed", "cj-1") },
      ),
      obj("v1", "Pod", "nightly-123-x", { spec: podSpec("busybox") }, owner("Job", "nightly-123", "job-1")),
    ]);
    expect(
      inv.workloads.map((w) => [
        w.ref.kind,
        w.ref.name,
        w.podSpecPath,
        w.containers.map((c) => [c.path, c.image?.name]),
        w.owned.map((o) => o.name),
      ]),
    ).toEqual([
      [
        "CronJob",
        "nightly",
        "spec.jobTemplate.spec.template.spec",
        [["spec.jobTemplate.spec.template.spec.containers[0]", "docker.io/library/busybox"]],
        ["nightly-123", "nightly-123-x"],
      ],
    ]);
  });

  it("a pod whose owner is not in the inventory belongs to that owner; an ownerReferences cycle loses nobody", () => {
    const inv = buildInventory([
      obj("v1", "Pod", "orphan", { spec: podSpec() }, owner("ReplicaSet", "gone")),
      obj(
        "apps/v1",
        "ReplicaSet",
        "a",
        { spec: { template: { spec: podSpec() } } },
        owner("ReplicaSet", "b"),
      ),
      obj(
        "apps/v1",
        "ReplicaSet",
        "b",
        { spec: { template: { spec: podSpec() } } },
        owner("ReplicaSet", "a"),
      ),
    ]);
    expect(inv.workloads.map((w) => `${w.kind}/${w.ref.name}`)).toEqual([
      "ReplicaSet/gone",
      "ReplicaSet/a",
      "ReplicaSet/b",
    ]);
  });

  it("parses image references of every container type and reports invalid ones", () => {
    const inv = buildInventory([
      obj("v1", "Pod", "p", {
        spec: {
          initContainers: [{ name: "init", image: "ghcr.io/org/init@sha256:" + "b".repeat(64) }],
          containers: [
            { name: "app", image: "localhost:5000/a/b:t" },
            { name: "bad", image: "Bad/Repo:x" },
          ],
          ephemeralContainers: [{ name: "debug", image: "busybox" }],
        },
      }),
    ]);
    const w = inv.workloads[0];
    expect(
      w?.containers.map((c) => [
        c.type,
        c.name,
        c.index,
        c.path,
        c.image && {
          registry: c.image.registry,
          repository: c.image.repository,
          tag: c.image.tag,
          digest: c.image.digest,
        },
      ]),
    ).toEqual([
      [
        "initContainer",
        "init",
        0,
        "spec.initContainers[0]",
        { registry: "ghcr.io", repository: "org/init", tag: undefined, digest: `sha256:${"b".repeat(64)}` },
      ],
      [
        "container",
        "app",
        0,
        "spec.containers[0]",
        { registry: "localhost:5000", repository: "a/b", tag: "t", digest: undefined },
      ],
      ["container", "bad", 1, "spec.containers[1]", undefined],
      [
        "ephemeralContainer",
        "debug",
        0,
        "spec.ephemeralContainers[0]",
        { registry: "docker.io", repository: "library/busybox", tag: undefined, digest: undefined },
      ],
    ]);
    expect(inv.coverage).toEqual([
      {
        reason: "invalid",
        message: 'Pod shop/p container "bad": invalid repository component "Repo"',
        kind: "Pod",
        namespace: "shop",
      },
    ]);
  });

  it("assigns teams from workload labels, then namespace labels, then the owners file (namespaces, then images)", () => {
    const inv = buildInventory(
      [
        {
          object: {
            apiVersion: "v1",
            kind: "Namespace",
            metadata: { name: "shop", labels: { owner: "retail" } },
          },
        },
        { object: { apiVersion: "v1", kind: "Namespace", metadata: { name: "payments-eu" } } },
        obj(
          "apps/v1",
          "Deployment",
          "labelled",
          { spec: { template: { spec: podSpec() } } },
          { labels: { team: "web-team" } },
        ),
        obj("apps/v1", "Deployment", "from-pod-labels", {
          spec: { template: { metadata: { labels: { team: "pod-team" } }, spec: podSpec() } },
        }),
        obj("apps/v1", "Deployment", "from-namespace", { spec: { template: { spec: podSpec() } } }),
        {
          object: {
            apiVersion: "apps/v1",
            kind: "Deployment",
            metadata: { name: "ns-glob", namespace: "payments-eu" },
            spec: { template: { spec: podSpec() } },
          },
        },
        {
          object: {
            apiVersion: "apps/v1",
            kind: "Deployment",
            metadata: { name: "by-image", namespace: "misc" },
            spec: { template: { spec: podSpec("acme/pay-api:1") } },
          },
        },
        {
          object: {
            apiVersion: "apps/v1",
            kind: "Deployment",
            metadata: { name: "nobody", namespace: "misc" },
            spec: { template: { spec: podSpec() } },
          },
        },
      ],
      {
        ownership: {
          keys: ["team", "owner"],
          namespaces: [{ pattern: "payments-*", team: "payments" }],
          images: [{ pattern: "docker.io/acme/pay-*", team: "payments-images" }],
        },
      },
    );
    expect(inv.workloads.map((w) => [w.ref.name, w.team, w.teamSource])).toEqual([
      ["labelled", "web-team", "workload team"],
      ["from-pod-labels", "pod-team", "workload team"],
      ["from-namespace", "retail", "namespace owner"],
      ["ns-glob", "payments", "owners file namespace payments-*"],
      ["by-image", "payments-images", "owners file image docker.io/acme/pay-*"],
      ["nobody", undefined, undefined],
    ]);
    expect([...inv.namespaces.values()].map((n) => [n.name, n.team])).toEqual([
      ["shop", "retail"],
      ["payments-eu", "payments"],
      ["misc", undefined],
    ]);
  });

  it("drops Secret values (only key names survive), counts unknown kinds, and reports non-objects", () => {
    const inv = buildInventory([
      {
        object: {
          apiVersion: "v1",
          kind: "Secret",
          metadata: { name: "db", namespace: "shop" },
          data: { password: "aHVudGVy", empty: "", unset: null },
          stringData: { token: "t" },
        },
      },
      { object: { apiVersion: "cert-manager.io/v1", kind: "Certificate", metadata: { name: "c1" } } },
      { object: { apiVersion: "cert-manager.io/v1", kind: "Certificate", metadata: { name: "c2" } } },
      { object: { apiVersion: "v1", kind: "ConfigMap" }, source: { file: "x.yaml", line: 4, column: 1 } },
      {
        object: {
          apiVersion: "v1",
          kind: "List",
          items: [{ apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "sa" } }, "junk"],
        },
      },
    ]);
    expect(inv.secrets.map((s) => s.raw)).toEqual([
      {
        apiVersion: "v1",
        kind: "Secret",
        metadata: { name: "db", namespace: "shop" },
        // Which keys of which field held a value survives, for rule PAL-SEC-007; never the value.
        data: { password: REDACTED_VALUE, empty: "", unset: "" },
        stringData: { token: REDACTED_VALUE },
      },
    ]);
    expect(JSON.stringify(inv)).not.toContain("aHVudGVy");
    expect([...inv.unknownKinds]).toEqual([["cert-manager.io/v1/Certificate", 2]]);
    expect(inv.serviceAccounts.map((s) => s.ref)).toEqual([
      { apiVersion: "v1", kind: "ServiceAccount", namespace: "default", name: "sa" },
    ]);
    expect(inv.coverage).toEqual([
      { reason: "invalid", message: "items[1] is not an object", subject: undefined },
      {
        reason: "invalid",
        message: 'not a Kubernetes object: missing or non-string field "metadata"',
        location: { file: "x.yaml", line: 4, column: 1 },
        subject: "x.yaml",
      },
    ]);
  });

  it("drops Secret values hidden in the last-applied-configuration annotation, keeping which keys had values", () => {
    const applied = JSON.stringify({
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "db", namespace: "shop", annotations: { note: "s3cr3t-in-note" } },
      data: { password: "aHVudGVyMg==", empty: "" },
      stringData: { token: "tok-123456" },
    });
    const inv = buildInventory([
      obj(
        "v1",
        "Secret",
        "db",
        { data: { password: "aHVudGVyMg==" } },
        { annotations: { [LAST_APPLIED_ANNOTATION]: applied } },
      ),
      obj(
        "v1",
        "Secret",
        "broken",
        {},
        { annotations: { [LAST_APPLIED_ANNOTATION]: '{"data": {"k": "broken-value-77' } },
      ),
    ]);
    const text = JSON.stringify(inv.secrets.map((s) => s.raw));
    for (const v of ["aHVudGVyMg==", "tok-123456", "s3cr3t-in-note", "broken-value-77"])
      expect(text).not.toContain(v);
    const sanitized = JSON.parse(inv.secrets[0]?.annotations[LAST_APPLIED_ANNOTATION] ?? "null");
    expect(sanitized).toEqual({
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "db", namespace: "shop", annotations: {} },
      data: { password: REDACTED_VALUE, empty: "" },
      stringData: { token: REDACTED_VALUE },
    });
    expect(inv.secrets[1]?.annotations[LAST_APPLIED_ANNOTATION]).toBe(REDACTED_VALUE);
  });
});

describe("buildInventory with compactMembers", () => {
  const rollout = (name: string, ref: Record<string, unknown>): RawObject =>
    obj("argoproj.io/v1alpha1", "Rollout", name, { spec: { replicas: 2, workloadRef: ref } });
  const inputs = (): RawObject[] => [
    obj("apps/v1", "Deployment", "web", {
      spec: { replicas: 3, template: { metadata: { labels: { app: "web" } }, spec: podSpec() } },
    }),
    obj(
      "apps/v1",
      "ReplicaSet",
      "web-5d8f",
      { spec: { replicas: 3, template: { spec: podSpec() } } },
      owner("Deployment", "web"),
    ),
    obj(
      "v1",
      "Pod",
      "web-5d8f-abc",
      { spec: { ...podSpec(), nodeName: "n1" }, status: { phase: "Running", podIP: "10.0.0.7" } },
      owner("ReplicaSet", "web-5d8f"),
    ),
    // Pods of a ReplicaSet that is not in the input: the workload's template is a member's.
    obj("v1", "Pod", "api-77-x", { spec: podSpec("api:1") }, owner("ReplicaSet", "api-77")),
    obj("v1", "Pod", "api-77-y", { spec: podSpec("api:1") }, owner("ReplicaSet", "api-77")),
    // A Rollout running the template of a Deployment it adopts.
    rollout("canary", { apiVersion: "apps/v1", kind: "Deployment", name: "canary-base" }),
    obj("apps/v1", "Deployment", "canary-base", {
      spec: { replicas: 0, template: { metadata: { labels: { app: "c" } }, spec: podSpec("canary:2") } },
    }),
    obj("v1", "Pod", "solo", { spec: podSpec("solo:1") }),
  ];
  const view = (inv: ReturnType<typeof buildInventory>) =>
    inv.workloads.map((w) => ({
      ref: w.ref,
      spec: w.podSpec,
      containers: w.containers,
      replicas: w.replicas,
      owned: w.owned,
      pods: w.pods.map((p) => ({ ref: p.ref, status: p.raw.status, labels: p.labels })),
      object: w.object.raw,
    }));

  it("gives the same workloads (templates, containers, replicas, pods' status) as the whole inventory", () => {
    const whole = buildInventory(inputs());
    const compact = buildInventory(inputs(), { compactMembers: true });
    expect(view(compact)).toEqual(view(whole));
    expect(compact.coverage).toEqual(whole.coverage);
    expect(compact.objects.map((o) => o.ref)).toEqual(whole.objects.map((o) => o.ref));
  });

  it("drops the template and spec lists of members only, keeping metadata, status and scalar spec fields", () => {
    const inv = buildInventory(inputs(), { compactMembers: true });
    const raw = (name: string) => inv.objects.find((o) => o.ref.name === name)?.raw;
    expect(raw("web-5d8f")).toEqual({
      apiVersion: "apps/v1",
      kind: "ReplicaSet",
      metadata: { name: "web-5d8f", namespace: "shop", ...owner("Deployment", "web") },
      spec: { replicas: 3 },
    });
    expect(raw("web-5d8f-abc")).toEqual({
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "web-5d8f-abc", namespace: "shop", ...owner("ReplicaSet", "web-5d8f") },
      spec: { nodeName: "n1" },
      status: { phase: "Running", podIP: "10.0.0.7" },
    });
    expect(raw("api-77-x")?.spec).toEqual({});
    expect(raw("canary-base")?.spec).toEqual({ replicas: 0 });
    // Workloads keep their own objects whole.
    expect(raw("web")).toEqual(inputs()[0]?.object);
    expect(raw("solo")).toEqual(inputs()[7]?.object);
  });

  it('"scan": members keep no labels, annotations, owner references or uid once resolved; workloads keep their labels and annotations, no uid', () => {
    const labelled = (): RawObject[] =>
      inputs().map((r) => {
        const meta = r.object.metadata as Record<string, unknown>;
        return {
          object: {
            ...r.object,
            metadata: {
              ...meta,
              uid: `uid-${String(meta.name)}`,
              labels: { app: "x" },
              annotations: { "deployment.kubernetes.io/revision": "4", note: "n" },
            },
          },
        };
      });
    const inv = buildInventory(labelled(), { compactMembers: "scan" });
    const find = (name: string) => inv.objects.find((o) => o.ref.name === name);
    const member = (name: string) => {
      const o = find(name);
      return { labels: o?.labels, annotations: o?.annotations, owners: o?.ownerReferences, uid: o?.uid };
    };
    // A compacted ReplicaSet has no template left to compare; a compacted Pod keeps its revision (it is compared
    // when a member stands for an absent owner's template).
    expect(member("web-5d8f")).toEqual({ labels: {}, annotations: {}, owners: [], uid: undefined });
    expect(member("web-5d8f-abc")).toEqual({
      labels: {},
      annotations: { "deployment.kubernetes.io/revision": "4" },
      owners: [],
      uid: undefined,
    });
    expect(member("api-77-y").owners).toEqual([]);
    for (const name of ["web", "solo", "canary"])
      expect(member(name)).toEqual({
        labels: { app: "x" },
        annotations: { "deployment.kubernetes.io/revision": "4", note: "n" },
        owners: [],
        uid: undefined,
      });
    const cm = {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "c", namespace: "shop", uid: "uid-c" },
    };
    expect(buildInventory([{ object: cm }], { compactMembers: "scan" }).objects[0]?.uid).toBeUndefined();
    // Without the scan's compaction, every object keeps its uid.
    expect(buildInventory(labelled()).objects.every((o) => o.uid === `uid-${o.ref.name}`)).toBe(true);
    // Objects that name no owner share one empty list.
    expect(find("web")?.ownerReferences).toBe(find("solo")?.ownerReferences);
    // The same workloads as the whole inventory, without the metadata the API server keeps for itself (the uid
    // stays on the object, where the owner graph reads it).
    const bookkeeping = ["uid", "resourceVersion", "generation", "selfLink"];
    expect(view(inv).map(({ pods, ...w }) => w)).toEqual(
      view(buildInventory(labelled())).map(({ pods, ...w }) => ({
        ...w,
        object: {
          ...w.object,
          metadata: Object.fromEntries(
            Object.entries(w.object.metadata as object).filter(([k]) => !bookkeeping.includes(k)),
          ),
        },
      })),
    );
    for (const name of ["web", "solo"])
      expect(Object.keys(find(name)?.raw.metadata as object)).toEqual([
        "name",
        "namespace",
        "labels",
        "annotations",
      ]);
  });

  it('"scan": a Pod member\'s podIPs is dropped only when it repeats podIP alone', () => {
    const pod = (status: Record<string, unknown>) =>
      compactMember({ apiVersion: "v1", kind: "Pod", metadata: { name: "p" }, spec: {}, status }, true)
        .status;
    expect(pod({ phase: "Running", podIP: "10.0.0.7", podIPs: [{ ip: "10.0.0.7" }], hostIP: "h" })).toEqual({
      phase: "Running",
      podIP: "10.0.0.7",
    });
    expect(pod({ podIP: "10.0.0.7", podIPs: [{ ip: "10.0.0.7" }] })).toEqual({ podIP: "10.0.0.7" });
    const dual = { phase: "Running", podIP: "10.0.0.7", podIPs: [{ ip: "10.0.0.7" }, { ip: "fd00::7" }] };
    expect(pod(dual)).toEqual(dual);
    const other = { phase: "Running", podIP: "10.0.0.7", podIPs: [{ ip: "10.0.0.8" }] };
    expect(pod(other)).toEqual(other);
    const extra = { podIP: "10.0.0.7", podIPs: [{ ip: "10.0.0.7", x: 1 }] };
    expect(pod(extra)).toEqual(extra);
  });
  it('"scan": equal parts of different objects are held once (labels too), the same values as without', () => {
    const deployment = (name: string): RawObject => ({
      object: {
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: { name, namespace: "shop", labels: { "app.kubernetes.io/part-of": "product-shop" } },
        spec: {
          template: {
            metadata: { labels: { app: name } },
            spec: {
              containers: [
                {
                  name: "app",
                  image: "nginx:1.25",
                  resources: { limits: { cpu: "500m", memory: "512Mi" } },
                  securityContext: { capabilities: { drop: ["ALL"] } },
                },
              ],
            },
          },
        },
      },
    });
    const service = (name: string): RawObject => ({
      object: {
        apiVersion: "v1",
        kind: "Service",
        metadata: { name, namespace: "shop", labels: { "app.kubernetes.io/part-of": "product-shop" } },
        spec: { ports: [{ port: 80, targetPort: 8080 }] },
      },
    });
    // As the loaders give them (labels as the string maps the inventory keeps).
    const raws = () =>
      [deployment("a"), deployment("b"), service("a"), service("b")].map((r) => ({
        object: slimObject(r.object),
      }));
    const inv = buildInventory(raws(), { compactMembers: "scan" });
    const [a, b] = inv.workloads;
    expect(b?.containers[0]?.spec.resources).toBe(a?.containers[0]?.spec.resources);
    expect(b?.containers[0]?.spec.securityContext).toBe(a?.containers[0]?.spec.securityContext);
    expect(b?.object.labels).toBe(a?.object.labels);
    expect(b?.podLabels).not.toBe(a?.podLabels);
    const [s1, s2] = inv.services;
    expect(s2?.raw.spec).toBe(s1?.raw.spec);
    expect(s2?.labels).toBe(s1?.labels);
    expect(s1?.labels).toBe((s1?.raw.metadata as Record<string, unknown> | undefined)?.labels);
    // Nothing else changes: the whole inventory's objects, as values.
    expect(inv.objects.map((o) => o.raw)).toEqual(raws().map((r) => r.object));
    // Turned off, equal parts stay copies, and the inventory the same values.
    const apart = buildInventory(raws(), { compactMembers: "scan", shareValues: false });
    const [c1, c2] = apart.services;
    expect(c2?.raw.spec).not.toBe(c1?.raw.spec);
    expect(c2?.raw.spec).toEqual(c1?.raw.spec);
    expect(apart.workloads[1]?.containers[0]?.spec.resources).not.toBe(
      apart.workloads[0]?.containers[0]?.spec.resources,
    );
    expect(apart.objects.map((o) => o.raw)).toEqual(inv.objects.map((o) => o.raw));
  });
});
