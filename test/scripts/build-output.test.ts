/**
 * What ships is the esbuild bundle (package.json `files`: dist/cli). No test helper may be reachable from it: a
 * shared contract suite (`*.contract.ts`), a test, a fixture or test/ support would drag vitest or test data into
 * the package. Built into a temporary directory with the real build script and read from esbuild's metafile.
 */
import { execFileSync, spawn, spawnSync } from "node:child_process";
import {
  closeSync,
  constants,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "..", "..");
const OUT = mkdtempSync(join(tmpdir(), "palisade-build-"));
afterAll(() => rmSync(OUT, { recursive: true, force: true }));

/** Inputs that are test support, not product code. */
const TEST_SUPPORT =
  /(^|\/)(test|e2e)\/|\.test\.ts$|\.contract\.ts$|(^|\/)__fixtures__\/|node_modules\/(vitest|@vitest|fast-check|vite)\//;

/** `palisade scan FILE -o json` with the built CLI: exit code and output. */
function scan(file: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [join(OUT, "palisade.js"), "scan", file, "-o", "json"], {
    cwd: ROOT,
    encoding: "utf8",
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/**
 * Run the built CLI with `args`, read the first chunk of its stdout (an output far larger than a pipe holds), then
 * close the pipe, as `… | head` does; its exit code and stderr once it is gone.
 */
async function readFirstChunkThenClose(args: string[]): Promise<{ status: number | null; stderr: string }> {
  const child = spawn(process.execPath, [join(OUT, "palisade.js"), ...args], {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => {
    stderr += d.toString();
  });
  child.stdout.once("data", () => child.stdout.destroy());
  const status = await new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  return { status, stderr };
}

describe("build output", () => {
  execFileSync(process.execPath, [join(ROOT, "scripts", "build.mjs"), "--metafile", "--outdir", OUT], {
    cwd: ROOT,
    stdio: ["ignore", "ignore", "pipe"],
  });

  it("the shipped bundle reaches no test, contract suite, fixture or test dependency", () => {
    const meta = JSON.parse(readFileSync(join(OUT, "meta.json"), "utf8")) as {
      inputs: Record<string, unknown>;
    };
    const inputs = Object.keys(meta.inputs);
    // The bundle is the CLI: if the metafile lost its inputs, the check below would pass on nothing.
    expect(inputs).toContain("src/apps/cli/bin.ts");
    expect(inputs.filter((f) => f.startsWith("src/core/")).length).toBeGreaterThan(100);
    expect(inputs.filter((f) => TEST_SUPPORT.test(f))).toEqual([]);
  });
  it("recognises test support paths", () => {
    expect(
      [
        "src/adapters/store/vuln-store.contract.ts",
        "test/support/cli.ts",
        "src/core/inventory/__fixtures__/kubectl-dump.ts",
        "../../main/node_modules/fast-check/lib/esm/fast-check.js",
        "src/core/k8s/selector.ts",
        "src/apps/cli/commands/test-run.ts",
      ].map((f) => TEST_SUPPORT.test(f)),
    ).toEqual([true, true, true, true, false, false]);
  });

  it("prints manifests from a lazily loaded command (admission install --print, as YAML)", () => {
    const dir = mkdtempSync(join(tmpdir(), "palisade-build-cert-"));
    try {
      execFileSync(
        "openssl",
        [
          "req",
          "-x509",
          "-newkey",
          "ec",
          "-pkeyopt",
          "ec_paramgen_curve:prime256v1",
          "-nodes",
          "-keyout",
          join(dir, "key.pem"),
          "-out",
          join(dir, "cert.pem"),
          "-days",
          "1",
          "-subj",
          "/CN=palisade-admission",
        ],
        { stdio: "ignore" },
      );
      const r = spawnSync(
        process.execPath,
        [join(OUT, "palisade.js"), "admission", "install", "--print", "--tls-cert", join(dir, "cert.pem")],
        { cwd: ROOT, encoding: "utf8" },
      );
      expect(r.stderr).toBe("");
      expect(r.status).toBe(0);
      expect(r.stdout).toMatch(
        /^apiVersion: admissionregistration\.k8s\.io\/v1\nkind: ValidatingWebhookConfiguration\n/,
      );
      expect(r.stdout.split("\n---\n").length).toBe(7);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("each chunk exports its own export object, not esbuild's forwarding copy of it", () => {
    const chunks = join(OUT, "chunks");
    const files = readdirSync(chunks).filter((f) => f.endsWith(".js"));
    const text = files.map((f) => readFileSync(join(chunks, f), "latin1"));
    // The build rewrote every `module.exports=__toCommonJS(ns)` (one getter per export, not two per access)...
    expect(text.filter((t) => t.includes("module.exports=__toCommonJS(")).length).toBe(0);
    // ...in chunks that export something (without any, the check above would pass on nothing).
    const marked = text.filter((t) => /module\.exports=Object\.defineProperty\([\w$]+,"__esModule"/.test(t));
    expect(marked.length).toBeGreaterThan(20);
  });

  it("import() of a chunk takes the chunk's exports as they are, without __toESM's copy", () => {
    const chunks = join(OUT, "chunks");
    const files = readdirSync(chunks).filter((f) => f.endsWith(".js"));
    const text = files.map((f) => readFileSync(join(chunks, f), "latin1")).join("\n");
    // Every chunk marks its exports as an ES module (test above), so none is wrapped on import...
    expect(text).not.toMatch(/__toESM\(require\("\.\//);
    // ...and imports of chunks are there (without any, the check above would pass on nothing).
    expect(
      text.match(/Promise\.resolve\(\)\.then\(\(\)=>require\("\.\/[\w.-]+"\)\)/g)?.length ?? 0,
    ).toBeGreaterThan(20);
  });

  it("the code cache made at build time changes no output, and a missing or damaged cache falls back to compiling", () => {
    const file = join(ROOT, "examples", "demo", "manifests", "payments", "helm-rendered.yaml");
    const chunks = join(OUT, "chunks");
    const caches = readdirSync(chunks).filter((f) => f.endsWith(".cache"));
    // A cache for each chunk the build's scans loaded (without any, the checks below would pass on nothing).
    expect(caches.length).toBeGreaterThan(10);
    const cached = scan(file);
    expect(cached.status).toBe(0);
    expect(cached.stdout).toContain('"ruleId"');
    // Damaged payloads (V8 itself would crash on these: it does not checksum a cache in release builds).
    for (const f of caches) {
      const bytes = readFileSync(join(chunks, f));
      for (let i = 64; i < bytes.length; i += 97) bytes[i] = (bytes[i] ?? 0) ^ 0x5a;
      writeFileSync(join(chunks, f), bytes);
    }
    expect(scan(file)).toEqual(cached);
    // Truncated files.
    for (const f of caches) writeFileSync(join(chunks, f), readFileSync(join(chunks, f)).subarray(0, 10));
    expect(scan(file)).toEqual(cached);
    for (const f of caches) rmSync(join(chunks, f));
    expect(scan(file)).toEqual(cached);
  });

  it("a one-file scan loads its chunks from the pack, and runs the same from the chunk files without it", () => {
    const file = join(ROOT, "examples", "demo", "manifests", "payments", "helm-rendered.yaml");
    const chunks = join(OUT, "chunks");
    const packs = readdirSync(chunks).filter((f) => /^pack-.*\.js$/.test(f));
    expect(packs.length).toBe(1);
    const pack = join(chunks, packs[0] ?? "");
    // Which files the scan reads from chunks/: the pack (and its cache) only.
    const preload = join(OUT, "chunk-reads.cjs");
    const list = join(OUT, "chunk-reads.txt");
    writeFileSync(
      preload,
      `const fs = require("node:fs"), read = fs.readFileSync, open = fs.openSync, seen = [];
fs.readFileSync = function (p, ...rest) { if (typeof p === "string" && p.includes("chunks")) seen.push(p); return read.call(this, p, ...rest); };
fs.openSync = function (p, ...rest) { if (typeof p === "string" && p.includes("chunks")) seen.push(p); return open.call(this, p, ...rest); };
process.on("exit", () => fs.writeFileSync(${JSON.stringify(list)}, seen.join("\\n")));\n`,
    );
    const r = spawnSync(
      process.execPath,
      ["--require", preload, join(OUT, "palisade.js"), "scan", file, "-o", "json"],
      {
        cwd: ROOT,
        encoding: "utf8",
        // A file as stdin: were process.stdin made, it would be a file read stream.
        stdio: [openSync(file, "r"), "pipe", "pipe"],
      },
    );
    expect(r.status).toBe(0);
    expect(
      readFileSync(list, "utf8")
        .split("\n")
        .filter((p) => p.endsWith(".js")),
    ).toEqual([pack]);
    const fromPack = scan(file);
    expect(fromPack.stdout).toBe(r.stdout);
    // Without the pack (or with an unreadable one), each chunk is compiled from its own file.
    const text = readFileSync(pack);
    writeFileSync(pack, "({");
    expect(scan(file)).toEqual(fromPack);
    rmSync(pack);
    expect(scan(file)).toEqual(fromPack);
    writeFileSync(pack, text);
  });

  it("the start-up pack holds no node analysis, vulnerability matching, SBOM or version scheme code", () => {
    // A one-file scan compiles and runs the whole pack. core/nodes (scan --nodes), and core/vuln, core/sbom and
    // core/versions through it, were about 145 KB of it and 13 M instructions of a one-file scan's start: the
    // scan service loads core/nodes only for --nodes (core/scan NodeAnalyzer).
    const meta = JSON.parse(readFileSync(join(OUT, "meta.json"), "utf8")) as {
      outputs: Record<string, { inputs: Record<string, unknown> }>;
    };
    const chunks = join(OUT, "chunks");
    const pack = readdirSync(chunks).find((f) => /^pack-.*\.js$/.test(f)) ?? "";
    // The pack is `({"name.js":(function …),\n"name.js":…})`: one chunk per line start.
    const names = [...readFileSync(join(chunks, pack), "latin1").matchAll(/(?:^\(\{|\n)"([^"]+\.js)":/g)].map(
      (m) => m[1],
    );
    const inputs = Object.entries(meta.outputs)
      .filter(([out]) => names.includes(out.split("/").pop()))
      .flatMap(([, o]) => Object.keys(o.inputs));
    // The pack is the scan: without its inputs, the check below would pass on nothing.
    expect(names.length).toBeGreaterThan(10);
    expect(inputs).toContain("src/core/scan/streaming.ts");
    expect(inputs).toContain("src/core/posture/index.ts");
    expect(inputs.filter((f) => /^src\/core\/(nodes|vuln|sbom|versions)\//.test(f))).toEqual([]);
  });

  it("a report larger than a non-blocking pipe holds arrives whole, with the command's exit code", async () => {
    // stdout is written with fs.writeSync until the pipe is full (EAGAIN on a non-blocking pipe), then through
    // Node's stream, which takes the rest (stdio.ts), and the CLI exits early only when no handle is left (bin.ts
    // exitIfIdle: the stream, once made, is one). The FIFO is opened non-blocking here and handed
    // over as the CLI's stdout, so its writes hit EAGAIN once it is full; this process drains it after a while.
    const args = [
      join(OUT, "palisade.js"),
      "scan",
      join(ROOT, "examples", "demo", "manifests"),
      "-o",
      "json",
    ];
    const whole = spawnSync(process.execPath, [...args, "--fail-on", "low"], {
      cwd: ROOT,
      maxBuffer: 1 << 28,
    });
    expect(whole.status).toBe(1);
    expect(whole.stdout.length).toBeGreaterThan(1 << 20);
    const fifo = join(OUT, "stdout.fifo");
    expect(spawnSync("mkfifo", [fifo]).status).toBe(0);
    const r = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
    const w = openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK);
    const child = spawn(process.execPath, [...args, "--fail-on", "low"], {
      cwd: ROOT,
      stdio: ["ignore", w, "pipe"],
    });
    closeSync(w);
    let status: number | null | undefined;
    child.on("close", (code) => {
      status = code;
    });
    const parts: Buffer[] = [];
    const buf = Buffer.alloc(1 << 16);
    await new Promise((resolve) => setTimeout(resolve, 300));
    for (;;) {
      let n = 0;
      try {
        n = readSync(r, buf, 0, buf.length, null);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "EAGAIN") throw e;
        await new Promise((resolve) => setTimeout(resolve, 5));
        continue;
      }
      if (n === 0) break; // the CLI closed its end: all written
      parts.push(Buffer.from(buf.subarray(0, n)));
    }
    closeSync(r);
    while (status === undefined) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(status).toBe(1);
    expect(Buffer.concat(parts).equals(whole.stdout)).toBe(true);
  });

  it("stops quietly with its own exit code when the reader goes away (palisade scan … | head)", async () => {
    for (const format of [["-o", "json"], []]) {
      const manifests = join(ROOT, "examples", "demo", "manifests");
      const { status, stderr } = await readFirstChunkThenClose([
        "scan",
        manifests,
        ...format,
        "--fail-on",
        "low",
      ]);
      expect(stderr, format.join(" ")).toBe("");
      expect(status, format.join(" ")).toBe(1);
    }
  });

  it("a streaming command ends at once and quietly when the reader goes away (palisade events ingest … | head)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "palisade-epipe-"));
    try {
      // 30k flow records: far more JSON lines than a pipe holds.
      const flows = readFileSync(
        join(ROOT, "src", "core", "runtime", "__fixtures__", "hubble.jsonl"),
        "utf8",
      );
      const input = join(dir, "flows.jsonl");
      writeFileSync(input, flows.repeat(10_000));
      const { status, stderr } = await readFirstChunkThenClose(["events", "ingest", input]);
      // Before: Node's unhandled "error" event (write EPIPE) and its stack trace, exit 1.
      expect(stderr).toBe("");
      expect(status).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("a one-file scan loads no Node module that only relaunching, stdin, streams, other readers or createRequire need", () => {
    // Loading node:v8 (the heap check) was a visible part of a one-file scan's start-up; it is loaded only for
    // large inputs now. So were node:fs/promises (with readline and the fs watchers) and file read streams: the
    // manifest loader reads through openRegularChunks (adapters/fs) and node:fs callbacks, and process.stdin (an
    // fs stream for a file) is made only for `-`.
    const preload = join(OUT, "module-list.cjs");
    const list = join(OUT, "module-list.txt");
    writeFileSync(
      preload,
      `process.on("exit", () => require("node:fs").writeFileSync(${JSON.stringify(list)}, process.moduleLoadList.join("\\n")));\n`,
    );
    const file = join(ROOT, "examples", "demo", "manifests", "payments", "helm-rendered.yaml");
    // JSON and the table (whose colour library, picocolors, would read process.stdout.isTTY when imported).
    for (const format of [["-o", "json"], []]) {
      const r = spawnSync(
        process.execPath,
        ["--require", preload, join(OUT, "palisade.js"), "scan", file, ...format],
        {
          cwd: ROOT,
          encoding: "utf8",
          // A file as stdin: were process.stdin made, it would be a file read stream.
          stdio: [openSync(file, "r"), "pipe", "pipe"],
        },
      );
      expect(r.status).toBe(0);
      const loaded = readFileSync(list, "utf8").split("\n");
      expect(loaded).toContain("NativeModule vm");
      // node:child_process is required by commander at its top (for executable subcommands, unused here): the
      // build makes that lazy.
      // Nor Node's streams: stdout and stderr (pipes here) are written with fs.writeSync until a stream is needed
      // (stdio.ts), the launcher takes zlib's CRC-32 from the binding on Node 20 (crc32.ts), and the fs adapter
      // loads node:stream, node:os and node:string_decoder only for what needs them.
      const streams = ["stream", "net", "tty", "internal/fs/sync_write_stream", "os", "string_decoder"];
      for (const m of [
        // Built-ins come from process.getBuiltinModule: node:module (createRequire) would load the ES module loader.
        "module",
        "internal/modules/esm/loader",
        "v8",
        "child_process",
        "fs/promises",
        "internal/fs/streams",
        "internal/readline/interface",
        ...(process.versions.node.startsWith("20.") ? ["zlib", ...streams] : []),
      ])
        expect(loaded, format.join(" ")).not.toContain(`NativeModule ${m}`);
    }
  });
});
