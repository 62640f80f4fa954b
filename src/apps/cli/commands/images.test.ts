import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runCli } from "../../../../test/support/cli.js";

const DEMO = "examples/demo";
const dir = mkdtempSync(join(tmpdir(), "palisade-images-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const DB = join(dir, "palisade.db");

const cli = (argv: string[]) =>
  runCli(argv, { env: { PALISADE_DB: DB }, now: new Date("2025-03-01T00:00:00Z") });

/** dir ref digest, one line per demo image (written by scripts/gen-demo-images.ts). */
const REFS = readFileSync(join(DEMO, "images", "refs.txt"), "utf8")
  .trim()
  .split("\n")
  .map((l) => l.split(" ") as [string, string, string]);
const [DEBIAN, RUNTIME] = REFS as [[string, string, string], [string, string, string]];

describe("palisade images", () => {
  it("lists no known image in a new store, saying how to add some", async () => {
    expect(await cli(["images", "list"])).toEqual({
      code: 0,
      stdout: "no known images (palisade images add IMAGE..., or palisade images discover --snapshot FILE)\n",
      stderr: "",
    });
    expect(await cli(["images", "list", "-o", "json"])).toEqual({ code: 0, stdout: "[]\n", stderr: "" });
  });

  it("adds images by digest with the names given, and lists them", async () => {
    const added = await cli(["images", "add", `oci:${join(DEMO, "images", DEBIAN[0])}`, "--ref", DEBIAN[1]]);
    expect([added.code, added.stderr]).toEqual([0, ""]);
    expect(added.stdout).toMatch(new RegExp(`^added ${DEBIAN[1]} ${DEBIAN[2]} `));
    // Without --ref, an oci: layout has no repository name: a warning says it is known by digest only.
    const unnamed = await cli(["images", "add", `oci:${join(DEMO, "images", RUNTIME[0])}`]);
    expect([unnamed.code, unnamed.stderr]).toEqual([
      0,
      `palisade: warning: missing: oci:${join(DEMO, "images", RUNTIME[0])} has no repository name or tag: it is known by digest ${RUNTIME[2]} only (name it with --ref)\n`,
    ]);
    const list = await cli(["images", "list", "-o", "json"]);
    const images = JSON.parse(list.stdout) as { digest: string; refs: string[] }[];
    expect(images.map((i) => [i.digest, i.refs]).sort()).toEqual(
      [
        [DEBIAN[2], [DEBIAN[1]]],
        [RUNTIME[2], []],
      ].sort(),
    );
    const table = await cli(["images", "list"]);
    expect(table.stdout.split("\n").filter(Boolean).length).toBe(2);
  });

  it("prints the tree as table (the default; text is the older spelling), json and dot", async () => {
    const table = await cli(["images", "tree"]);
    expect(table.code).toBe(0);
    expect(table.stdout).toContain(DEBIAN[1]);
    expect(await cli(["images", "tree", "-o", "text"])).toEqual(table);
    expect((await cli(["images", "tree", "-o", "dot"])).stdout).toMatch(/^digraph /);
    const doc = JSON.parse((await cli(["images", "tree", "-o", "json"])).stdout) as { nodes: unknown[] };
    expect(doc.nodes.length).toBe(2);
  });

  it("refuses bad flags as usage errors (exit 2) before touching the store", async () => {
    expect(await cli(["images", "tree", "-o", "xml"])).toEqual({
      code: 2,
      stdout: "",
      stderr:
        "palisade: option '-o, --output <format>' argument 'xml' is invalid. Allowed choices are table, json, dot.\n",
    });
    expect(await cli(["images", "add", "a", "b", "--ref", "x/y:1"])).toEqual({
      code: 2,
      stdout: "",
      stderr: "palisade: --ref names one image: give exactly one IMAGE with it\n",
    });
    expect(await cli(["images", "discover", "--snapshot", "x.json", "--concurrency", "0"])).toEqual({
      code: 2,
      stdout: "",
      stderr: "palisade: --concurrency 0: expected an integer from 1 to 16\n",
    });
  });
});
