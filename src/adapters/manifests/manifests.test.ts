import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildInventory, expandLists } from "../../core/inventory/index.js";
import { loadManifestPaths, loadSnapshotFiles, parseManifestText } from "./index.js";

const FIXTURES = fileURLToPath(new URL("./__fixtures__/", import.meta.url));

/** Objects without their (function-valued) locate, for whole-object assertions. */
function plain(r: {
  objects: { object: unknown; source?: { file: string; line: number; column: number; index?: number } }[];
}) {
  return r.objects.map((o) => ({
    object: o.object,
    source: o.source && {
      file: o.source.file,
      line: o.source.line,
      column: o.source.column,
      index: o.source.index,
    },
  }));
}

const cm = (name: string) => ({ apiVersion: "v1", kind: "ConfigMap", metadata: { name } });

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), "palisade-manifests-"));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe("parseManifestText: positions", () => {
  const text = [
    "# leading comment",
    "apiVersion: v1",
    "kind: Pod",
    "metadata:",
    "  name: web",
    "spec:",
    "  containers:",
    "    - name: app",
    "      image: nginx",
    "      securityContext:",
    "        privileged: true",
    "    - name: side",
    "      image: busybox",
    "---",
    "  apiVersion: v1",
    "  kind: ConfigMap",
    "  metadata: {name: indented}",
    "",
  ].join("\n");

  it("gives each object the line and column of its document start", () => {
    const r = parseManifestText(text, "pod.yaml");
    expect(r.coverage).toEqual([]);
    expect(plain(r).map((o) => o.source)).toEqual([
      { file: "pod.yaml", line: 2, column: 1, index: 0 },
      { file: "pod.yaml", line: 15, column: 3, index: 1 },
    ]);
  });

  it("locates nested fields, sequence items and the document root", () => {
    const [pod, cfg] = parseManifestText(text, "pod.yaml").objects;
    const at = (p: string) => pod?.source?.locate?.(p);
    expect(at("spec.containers[0].securityContext.privileged")).toEqual({
      file: "pod.yaml",
      line: 11,
      column: 9,
    });
    expect(at("spec.containers[1]")).toEqual({ file: "pod.yaml", line: 12, column: 7 });
    expect(at("spec.containers[1].image")).toEqual({ file: "pod.yaml", line: 13, column: 7 });
    expect(at("")).toEqual({ file: "pod.yaml", line: 2, column: 1 });
    expect(at("spec.containers[5]")).toBeUndefined();
    expect(at("spec.nope")).toBeUndefined();
    expect(cfg?.source?.locate?.("metadata.name")).toEqual({ file: "pod.yaml", line: 17, column: 14 });
  });

  it("locates quoted keys with dots and keys reached through merge keys", () => {
    const r = parseManifestText(
      [
        "apiVersion: v1",
        "kind: Pod",
        "metadata:",
        "  name: p",
        "  annotations:",
        '    "container.apparmor.security.beta.kubernetes.io/app": unconfined',
        "base: &base",
        "  runAsUser: 0",
        "spec:",
        "  securityContext:",
        "    <<: *base",
        "    runAsGroup: 1",
      ].join("\n"),
      "m.yaml",
    );
    const o = r.objects[0];
    expect(o?.object).toMatchObject({ spec: { securityContext: { runAsUser: 0, runAsGroup: 1 } } });
    expect(
      o?.source?.locate?.('metadata.annotations["container.apparmor.security.beta.kubernetes.io/app"]'),
    ).toEqual({
      file: "m.yaml",
      line: 6,
      column: 5,
    });
    expect(o?.source?.locate?.("spec.securityContext.runAsUser")).toEqual({
      file: "m.yaml",
      line: 8,
      column: 3,
    });
  });

  it("locates List items through expandLists", () => {
    const r = parseManifestText(
      [
        "apiVersion: v1",
        "kind: List",
        "items:",
        "  - apiVersion: v1",
        "    kind: ConfigMap",
        "    metadata:",
        "      name: x",
      ].join("\n"),
      "l.yaml",
    );
    const items = expandLists(r.objects, []);
    expect(items.map((i) => [i.source?.line, i.source?.column])).toEqual([[4, 5]]);
    expect(items[0]?.source?.locate?.("metadata.name")).toEqual({ file: "l.yaml", line: 7, column: 7 });
  });
});

describe("parseManifestText: YAML 1.1 as Kubernetes reads it", () => {
  it("resolves 1.1 booleans and octals, keeps base-60 and timestamps as strings, last duplicate key wins", () => {
    const r = parseManifestText(
      [
        "apiVersion: v1",
        "kind: ConfigMap",
        "metadata: {name: n1}",
        "data:",
        "  a: yes",
        "  b: off",
        "  c: y",
        "  d: 0755",
        "  e: 1:20",
        "  f: 2001-12-14",
        "  g: 'yes'",
        "  h: 1",
        "  h: 2",
      ].join("\n"),
      "y.yaml",
    );
    expect(r.coverage).toEqual([]);
    expect(r.objects[0]?.object).toEqual({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "n1" },
      data: { a: true, b: false, c: true, d: 493, e: "1:20", f: "2001-12-14", g: "yes", h: 2 },
    });
  });
});

describe("parseManifestText: rendered output", () => {
  it("reads Helm output: source comments, empty and comment-only documents", async () => {
    const r = await loadManifestPaths(["helm-rendered.yaml"], { cwd: FIXTURES });
    expect(r.coverage).toEqual([]);
    expect(r.files).toBe(1);
    expect(plain(r)).toEqual([
      {
        object: {
          apiVersion: "v1",
          kind: "ServiceAccount",
          metadata: { name: "web", labels: { "app.kubernetes.io/managed-by": "Helm" } },
        },
        source: { file: "helm-rendered.yaml", line: 3, column: 1, index: 0 },
      },
      {
        object: {
          apiVersion: "apps/v1",
          kind: "Deployment",
          metadata: {
            name: "web",
            annotations: { "container.apparmor.security.beta.kubernetes.io/app": "unconfined" },
          },
          spec: {
            replicas: 2,
            template: {
              spec: {
                containers: [{ name: "app", image: "nginx:1.25", securityContext: { privileged: true } }],
              },
            },
          },
        },
        source: { file: "helm-rendered.yaml", line: 16, column: 1, index: 3 },
      },
    ]);
    expect(
      r.objects[1]?.source?.locate?.("spec.template.spec.containers[0].securityContext.privileged"),
    ).toEqual({
      file: "helm-rendered.yaml",
      line: 30,
      column: 13,
    });
  });

  it("reads Kustomize output", async () => {
    const r = await loadManifestPaths(["kustomize-rendered.yaml"], { cwd: FIXTURES });
    expect(r.coverage).toEqual([]);
    expect(plain(r).map((o) => [o.object, o.source?.line])).toEqual([
      [
        { apiVersion: "v1", kind: "Namespace", metadata: { labels: { team: "payments" }, name: "payments" } },
        1,
      ],
      [
        {
          apiVersion: "v1",
          data: { LOG_LEVEL: "info" },
          kind: "ConfigMap",
          metadata: { name: "app-config-7g2f8m5h2k", namespace: "payments" },
        },
        8,
      ],
    ]);
  });

  it("drops Secret values at load, also inside Lists, and locate still works", async () => {
    const r = await loadManifestPaths(["list.yaml"], { cwd: FIXTURES });
    expect(r.coverage).toEqual([]);
    expect(r.objects[0]?.object).toEqual({
      apiVersion: "v1",
      kind: "List",
      items: [
        { apiVersion: "v1", kind: "Service", metadata: { name: "a" } },
        // Which keys held a value survives (rule PAL-SEC-007), the value does not.
        {
          apiVersion: "v1",
          kind: "Secret",
          metadata: { name: "creds" },
          stringData: { password: "(redacted)" },
        },
      ],
    });
    expect(JSON.stringify(r.objects)).not.toContain("hunter2");
    expect(r.objects[0]?.source?.locate?.("items[1].stringData.password")).toEqual({
      file: "list.yaml",
      line: 13,
      column: 7,
    });
  });
  it("drops the values of a typed SecretList's items, which name no kind of their own (API list shape)", async () => {
    const text = [
      "apiVersion: v1",
      "kind: SecretList",
      "items:",
      "  - metadata:",
      "      name: db",
      "    type: Opaque",
      "    data:",
      "      password: aHVudGVyMi1jYW5hcnk=",
      "    stringData:",
      "      token: hunter2-canary",
      "",
    ].join("\n");
    const r = parseManifestText(text, "secrets.yaml");
    expect(JSON.stringify(r.objects)).not.toContain("hunter2");
    expect(JSON.stringify(r.objects)).not.toContain("aHVudGVyMi1jYW5hcnk=");
    const item = (r.objects[0]?.object.items as Record<string, unknown>[] | undefined)?.[0];
    expect(item).toMatchObject({ data: { password: "(redacted)" }, stringData: { token: "(redacted)" } });
    // The source text kept for locating fields is blanked at the values too.
    expect(r.objects[0]?.source?.locate?.("items[0].data.password")).toMatchObject({ line: 8 });
    const json = parseManifestText(
      JSON.stringify({
        apiVersion: "v1",
        kind: "SecretList",
        items: [{ metadata: { name: "j" }, data: { k: "aHVudGVyMg==" } }],
      }),
      "secrets.json",
    );
    expect(JSON.stringify(json.objects)).not.toContain("aHVudGVyMg==");
  });
});

describe("JSON and stdin", () => {
  it("reads a JSON array with a line per item", async () => {
    const r = await loadManifestPaths(["array.json"], { cwd: FIXTURES });
    expect(r.coverage).toEqual([]);
    expect(plain(r)).toEqual([
      { object: cm("one"), source: { file: "array.json", line: 2, column: 3, index: 0 } },
      { object: cm("two"), source: { file: "array.json", line: 3, column: 3, index: 1 } },
    ]);
  });

  it("reads a snapshot List with a line per item and Secret values dropped", async () => {
    const snap = {
      apiVersion: "v1",
      kind: "List",
      items: [
        cm("a"),
        { apiVersion: "v1", kind: "Secret", metadata: { name: "s" }, data: { token: "c2VjcmV0" } },
      ],
      metadata: { resourceVersion: "" },
    };
    const f = join(tmp, "snap.json");
    await writeFile(f, JSON.stringify(snap, null, 4));
    const r = await loadSnapshotFiles([f]);
    expect(r.coverage).toEqual([]);
    expect(plain(r)).toEqual([
      { object: cm("a"), source: { file: f, line: 5, column: 9, index: 0 } },
      {
        object: { apiVersion: "v1", kind: "Secret", metadata: { name: "s" }, data: { token: "(redacted)" } },
        source: { file: f, line: 12, column: 9, index: 1 },
      },
    ]);
  });

  it("reads '-' from stdin, YAML or JSON", async () => {
    const yaml = await loadManifestPaths(["-"], {
      stdin: Readable.from([Buffer.from("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: in\n")]),
    });
    expect(plain(yaml)).toEqual([{ object: cm("in"), source: { file: "-", line: 1, column: 1, index: 0 } }]);
    const json = await loadManifestPaths(["-"], { stdin: Readable.from([JSON.stringify([cm("j")])]) });
    expect(plain(json)).toEqual([{ object: cm("j"), source: { file: "-", line: 1, column: 2, index: 0 } }]);
  });

  it("walks directories in sorted order with only manifest extensions", async () => {
    const r = await loadManifestPaths(["tree"], { cwd: FIXTURES });
    expect(r.coverage).toEqual([]);
    expect(
      plain(r).map((o) => [o.source?.file, (o.object as { metadata: { name: string } }).metadata.name]),
    ).toEqual([
      ["tree/a.yml", "a"],
      ["tree/b.yaml", "b"],
      ["tree/sub/c.json", "c"],
    ]);
  });

  it("a missing path is an input error, not a silent pass", async () => {
    await expect(loadManifestPaths(["nope.yaml"], { cwd: FIXTURES })).rejects.toMatchObject({
      code: "INPUT",
      context: { file: "nope.yaml" },
    });
  });
});

describe("pathological cases", () => {
  const ok = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ok\n";

  it("alias bomb (billion laughs) finishes fast with a limit entry; the next document loads", () => {
    const levels = ["a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]"];
    const names = "abcdefghi";
    for (let i = 1; i < names.length; i++) {
      const prev = `*${names[i - 1]}`;
      levels.push(`${names[i]}: &${names[i]} [${Array(9).fill(prev).join(", ")}]`);
    }
    const t0 = performance.now();
    const r = parseManifestText(`${levels.join("\n")}\n---\n${ok}`, "bomb.yaml");
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(r.coverage).toEqual([
      {
        reason: "limit",
        message: "document 1: YAML aliases expand beyond the budget of 1000 (alias bomb?); skipped",
        subject: "bomb.yaml",
        location: { file: "bomb.yaml", line: 1, column: 1 },
      },
    ]);
    expect(r.objects.map((o) => o.object)).toEqual([cm("ok")]);
  });

  it("a file over the size cap is skipped with a limit entry; other files load", async () => {
    const dir = join(tmp, "big");
    await mkdir(dir);
    const big = `${ok}data:\n  x: "${"x".repeat(2048)}"\n`;
    await writeFile(join(dir, "a-big.yaml"), big);
    await writeFile(join(dir, "b-ok.yaml"), ok);
    const r = await loadManifestPaths([dir], { limits: { maxFileBytes: 1024 } });
    expect(r.coverage).toEqual([
      {
        reason: "limit",
        message: `${join(dir, "a-big.yaml")} is larger than the limit of 1024 bytes for YAML (--max-file-bytes, PALISADE_MAX_FILE_BYTES; JSON of any size is streamed); skipped`,
        subject: join(dir, "a-big.yaml"),
      },
    ]);
    expect(r.objects.map((o) => o.object)).toEqual([cm("ok")]);
  });

  it("10k tiny documents load, and the document cap cuts cleanly", () => {
    let text = "";
    for (let i = 0; i < 10_000; i++)
      text += `---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c${i}}\n`;
    const r = parseManifestText(text, "many.yaml");
    expect(r.coverage).toEqual([]);
    expect(r.objects).toHaveLength(10_000);
    expect(r.objects[9_999]?.source).toMatchObject({ line: 39_998, index: 9_999 });
    const capped = parseManifestText(text, "many.yaml", { maxDocuments: 3 });
    expect(capped.objects.map((o) => o.object)).toEqual([cm("c0"), cm("c1"), cm("c2")]);
    expect(capped.coverage).toEqual([
      {
        reason: "limit",
        message: "more than 3 documents; document 4 and the rest of the file were not read",
        subject: "many.yaml",
        location: { file: "many.yaml", line: 13, column: 1 },
      },
    ]);
  });

  it("deep nesting: block, flow and huge flow nesting are refused per document", () => {
    let block = "";
    for (let i = 0; i < 250; i++) block += `${" ".repeat(i)}k:\n`;
    const flow = `a: ${"[".repeat(100_000)}${"]".repeat(100_000)}\n`;
    const r = parseManifestText(`${block}---\n${flow}---\n${ok}`, "deep.yaml");
    expect(r.coverage).toEqual([
      {
        reason: "limit",
        message: "document 1: nested deeper than 200 levels; skipped",
        subject: "deep.yaml",
        location: { file: "deep.yaml", line: 201, column: 201 },
      },
      {
        reason: "limit",
        message: "document 2: flow collections nested deeper than 200 levels; skipped",
        subject: "deep.yaml",
        location: { file: "deep.yaml", line: 252, column: 204 },
      },
    ]);
    expect(r.objects.map((o) => [o.object, o.source?.line, o.source?.index])).toEqual([[cm("ok"), 254, 2]]);
    const json = parseManifestText(`{"a": ${"[".repeat(5000)}${"]".repeat(5000)}}`, "deep.json");
    expect(json.coverage).toEqual([
      {
        reason: "limit",
        message: "the document: nested deeper than 200 levels",
        subject: "deep.json",
        location: { file: "deep.json", line: 1, column: 1 },
      },
    ]);
  });

  it("__proto__ / constructor / prototype keys reject the document (YAML and JSON); Object.prototype untouched", () => {
    const y = parseManifestText(
      `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  __proto__:\n    polluted: yes\n---\n${ok}`,
      "p.yaml",
    );
    expect(y.coverage).toEqual([
      {
        reason: "unsafe",
        message: 'document 1: forbidden key "__proto__" (prototype pollution); document rejected',
        subject: "p.yaml",
        location: { file: "p.yaml", line: 5, column: 3 },
      },
    ]);
    expect(y.objects.map((o) => o.object)).toEqual([cm("ok")]);
    const viaAlias = parseManifestText(`k: &k constructor\nv:\n  *k : 1\n---\n${ok}`, "a.yaml");
    expect(viaAlias.coverage.map((c) => [c.reason, c.location?.line])).toEqual([["unsafe", 3]]);
    const j = parseManifestText(
      `[${JSON.stringify(cm("fine"))},\n{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x","__proto__":{"polluted":1}}}]`,
      "p.json",
    );
    expect(j.coverage).toEqual([
      {
        reason: "unsafe",
        message: 'item 1: forbidden key "__proto__" (prototype pollution); rejected',
        subject: "p.json",
        location: { file: "p.json", line: 2, column: 1 },
      },
    ]);
    expect(j.objects.map((o) => o.object)).toEqual([cm("fine")]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty("polluted");
  });

  it("binary, invalid UTF-8, truncated YAML, bare strings and broken JSON become coverage; others load", async () => {
    const dir = join(tmp, "bad");
    await mkdir(dir);
    await writeFile(join(dir, "a-binary.yaml"), Buffer.from([0x61, 0x3a, 0x00, 0x01, 0x02]));
    await writeFile(
      join(dir, "b-latin1.yaml"),
      Buffer.concat([Buffer.from("a: 1\nb: caf"), Buffer.from([0xe9, 0x0a])]),
    );
    await writeFile(
      join(dir, "c-truncated.yaml"),
      `${ok}---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: "trunc`,
    );
    await writeFile(join(dir, "d-string.yaml"), `just a string\n---\n${ok}`);
    await writeFile(join(dir, "e-broken.json"), '{"apiVersion": "v1",\n  "kind": }');
    await writeFile(join(dir, "f-good.yaml"), ok);
    const r = await loadManifestPaths([dir]);
    const f = (n: string) => join(dir, n);
    expect(r.coverage).toEqual([
      {
        reason: "binary",
        message: "binary file (NUL byte at offset 2); skipped",
        subject: f("a-binary.yaml"),
      },
      {
        reason: "parse-error",
        message: "not valid UTF-8 (byte 0xe9 at offset 11); skipped",
        subject: f("b-latin1.yaml"),
        location: { file: f("b-latin1.yaml"), line: 2, column: 7 },
      },
      {
        reason: "parse-error",
        message: 'document 2: YAML MISSING_CHAR: Missing closing "quote',
        subject: f("c-truncated.yaml"),
        location: { file: f("c-truncated.yaml"), line: 9, column: 15 },
      },
      {
        reason: "invalid",
        message: "document 1 is a string, not an object",
        subject: f("d-string.yaml"),
        location: { file: f("d-string.yaml"), line: 1, column: 1 },
      },
      {
        reason: "parse-error",
        message: "invalid JSON: Unexpected token '}'",
        subject: f("e-broken.json"),
        location: { file: f("e-broken.json"), line: 2, column: 11 },
      },
    ]);
    expect(r.objects.map((o) => [o.source?.file, o.object])).toEqual([
      [f("c-truncated.yaml"), cm("ok")],
      [f("d-string.yaml"), cm("ok")],
      [f("f-good.yaml"), cm("ok")],
    ]);
    expect(r.files).toBe(6);
  });

  it("a symlink loop, a directory named *.yaml, hidden dirs and node_modules do not hang or leak", async () => {
    const dir = join(tmp, "loop");
    await mkdir(join(dir, "sub"), { recursive: true });
    await mkdir(join(dir, "dir.yaml"));
    await mkdir(join(dir, ".git"));
    await mkdir(join(dir, "node_modules"));
    await writeFile(join(dir, "sub", "x.yaml"), ok);
    await writeFile(join(dir, "dir.yaml", "inner.yaml"), ok.replace("ok", "inner"));
    await writeFile(join(dir, ".git", "h.yaml"), ok);
    await writeFile(join(dir, "node_modules", "n.yaml"), ok);
    await symlink("..", join(dir, "sub", "up"));
    await symlink("self", join(dir, "self"));
    const r = await loadManifestPaths([dir]);
    expect(r.coverage).toEqual([
      {
        reason: "invalid",
        message: `${join(dir, "self")}: too many levels of symbolic links (symlink loop); skipped`,
        subject: join(dir, "self"),
      },
      {
        reason: "invalid",
        message: `${join(dir, "sub", "up")}: symlink loop (points back to a directory being walked); not followed`,
        subject: join(dir, "sub", "up"),
      },
    ]);
    expect(r.objects.map((o) => [o.source?.file, o.object])).toEqual([
      [join(dir, "dir.yaml", "inner.yaml"), cm("inner")],
      [join(dir, "sub", "x.yaml"), cm("ok")],
    ]);
    // Named explicitly, a directory called *.yaml is walked like any directory.
    const named = await loadManifestPaths([join(dir, "dir.yaml")]);
    expect(named.objects.map((o) => o.object)).toEqual([cm("inner")]);
  });

  it("a symlink to / or to a directory outside the root is not followed (coverage says so); one inside is", async () => {
    const dir = join(tmp, "escape");
    const outside = join(tmp, "escape-outside");
    await mkdir(join(dir, "real"), { recursive: true });
    await mkdir(outside, { recursive: true });
    await writeFile(join(dir, "real", "a.yaml"), ok);
    await writeFile(join(outside, "o.yaml"), ok.replace("ok", "outside"));
    await symlink("/", join(dir, "root"));
    await symlink(outside, join(dir, "out"));
    await symlink("real", join(dir, "within"));
    const r = await loadManifestPaths([dir]);
    expect(r.coverage).toEqual([
      {
        reason: "not-evaluated",
        message: `${join(dir, "out")}: symlink to a directory outside ${dir} (${outside}); not followed`,
        subject: join(dir, "out"),
      },
      {
        reason: "not-evaluated",
        message: `${join(dir, "root")}: symlink to a directory outside ${dir} (/); not followed`,
        subject: join(dir, "root"),
      },
      {
        reason: "not-evaluated",
        message: `${join(dir, "within")}: directory already read through another path; not read twice`,
        subject: join(dir, "within"),
      },
    ]);
    expect(r.objects.map((o) => o.source?.file)).toEqual([join(dir, "real", "a.yaml")]);
    // The directory named on the command line may itself be a symlink: its own tree is the root.
    const viaLink = await loadManifestPaths([join(dir, "within")]);
    expect(viaLink.objects.map((o) => o.source?.file)).toEqual([join(dir, "within", "a.yaml")]);
  });

  it("the loaded objects build an inventory", async () => {
    const r = await loadManifestPaths(["helm-rendered.yaml", "kustomize-rendered.yaml"], { cwd: FIXTURES });
    const inv = buildInventory(r.objects);
    expect(inv.workloads.map((w) => w.ref)).toEqual([
      { apiVersion: "apps/v1", kind: "Deployment", namespace: "default", name: "web" },
    ]);
    expect(inv.coverage).toEqual([]);
  });
});

describe("typed lists (PodList, DeploymentList, NamespaceList as the API server returns them)", () => {
  const dir = join(FIXTURES, "typed-lists");
  const refs = (objects: { object: Record<string, unknown> }[]) =>
    buildInventory(objects).objects.map(
      (o) => `${o.ref.apiVersion} ${o.ref.kind} ${o.ref.namespace ?? ""}/${o.ref.name}`,
    );
  const expected = [
    "apps/v1 Deployment shop/web",
    "v1 Namespace /shop",
    "v1 Pod shop/web-7d9f8c6b5-x2k4q",
    "v1 Pod shop/debug",
  ];

  it("infers item kind and apiVersion from the list in files (JSON and YAML)", async () => {
    const r = await loadManifestPaths([dir]);
    expect(r.coverage).toEqual([]);
    expect(refs(r.objects)).toEqual(expected);
    const pod = r.objects.find((o) => (o.object.metadata as { name: string }).name === "debug");
    expect(pod?.source).toMatchObject({ file: join(dir, "podlist-raw.json"), line: 1 });
  });

  it("infers them from stdin", async () => {
    const text = await readFile(join(dir, "podlist-raw.json"));
    const r = await loadManifestPaths(["-"], { stdin: Readable.from([text]) });
    expect(r.coverage).toEqual([]);
    expect(refs(r.objects)).toEqual(expected.slice(2));
  });

  it("infers them in snapshots", async () => {
    const r = await loadSnapshotFiles(
      ["podlist-raw.json", "deploymentlist-raw.json", "namespacelist-raw.yaml"],
      {
        cwd: dir,
      },
    );
    expect(r.coverage).toEqual([]);
    expect(refs(r.objects)).toEqual([expected[2], expected[3], expected[0], expected[1]]);
    const pod = r.objects[0]?.object as {
      metadata: Record<string, unknown>;
      status: Record<string, unknown>;
    };
    // Bulky metadata nobody analyses is dropped at load.
    expect(pod.metadata.managedFields).toBeUndefined();
    expect(pod.status.conditions).toBeUndefined();
  });
});

describe("scale: no silent cut, configurable caps", () => {
  it("a 300k-object List loads whole (was cut to 100k by the document cap) and is streamed", async () => {
    const file = join(tmp, "big-list.json");
    const items: string[] = [];
    for (let i = 0; i < 300_000; i++)
      items.push(`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c${i}"}}`);
    await writeFile(file, `{"apiVersion":"v1","kind":"List","items":[\n${items.join(",\n")}\n]}`);
    items.length = 0;
    const r = await loadSnapshotFiles([file]);
    expect(r.coverage).toEqual([]);
    expect(r.objects.length).toBe(300_000);
    expect(r.objects[299_999]?.source).toEqual({ file, line: 300_001, column: 1, index: 299_999 });
  });

  it("every cap hit is a limit coverage entry naming how to raise it", async () => {
    const file = join(tmp, "three.json");
    await writeFile(file, JSON.stringify([cm("a"), cm("b"), cm("c")]));
    const capped = await loadSnapshotFiles([file], { limits: { maxObjects: 2 } });
    expect(capped.objects.length).toBe(2);
    expect(capped.coverage).toEqual([
      {
        reason: "limit",
        message: `more than 2 objects in all inputs (the limit: --max-objects, PALISADE_MAX_OBJECTS); objects from ${file} on were not read`,
        subject: file,
      },
    ]);
    const bytes = await loadSnapshotFiles([file], { limits: { maxInputBytes: 10 } });
    expect(bytes.objects).toEqual([]);
    expect(bytes.coverage.map((c) => c.reason)).toEqual(["limit"]);
    const yamlFile = join(tmp, "big.yaml");
    await writeFile(
      yamlFile,
      `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: y\ndata:\n  x: "${"x".repeat(300)}"\n`,
    );
    const yaml = await loadManifestPaths([yamlFile], { limits: { maxFileBytes: 100 } });
    expect(yaml.coverage.map((c) => c.reason)).toEqual(["limit"]);
    // JSON over the whole-file cap is streamed instead of skipped.
    const json = await loadManifestPaths([file], { limits: { maxFileBytes: 10 } });
    expect(json.coverage).toEqual([]);
    expect(json.objects.length).toBe(3);
  });
});
