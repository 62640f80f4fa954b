import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadOwnershipFile, parseOwnershipText } from "./index.js";

describe("ownership file", () => {
  it("reads the map form and the list form, keeping file order", () => {
    expect(
      parseOwnershipText(
        'keys: [team, owner]\nnamespaces: {"payments-*": payments, "shop": retail}\nimages:\n  - pattern: "docker.io/acme/pay-*"\n    team: payments\n',
        "owners.yaml",
      ),
    ).toEqual({
      keys: ["team", "owner"],
      namespaces: [
        { pattern: "payments-*", team: "payments" },
        { pattern: "shop", team: "retail" },
      ],
      images: [{ pattern: "docker.io/acme/pay-*", team: "payments" }],
    });
    expect(parseOwnershipText("namespaces: {a: b}\n", "o.yaml")).toEqual({
      keys: ["team", "owner"],
      namespaces: [{ pattern: "a", team: "b" }],
      images: [],
    });
  });

  it("errors name the file, the field and its line", async () => {
    const bad = (text: string) => {
      try {
        parseOwnershipText(text, "owners.yaml");
      } catch (e) {
        return {
          code: (e as { code: string }).code,
          message: (e as Error).message,
          context: (e as { context: unknown }).context,
        };
      }
      return undefined;
    };
    expect(bad("keys: []\n")).toEqual({
      code: "INPUT",
      message: 'field "keys": must be a non-empty list of label keys',
      context: { file: "owners.yaml", field: "keys", line: 1, column: 7 },
    });
    expect(bad("namespaces:\n  - pattern: x\n    team: 3\n")).toEqual({
      code: "INPUT",
      message: 'field "namespaces[0].team": must be a non-empty string',
      context: { file: "owners.yaml", field: "namespaces[0].team", line: 3, column: 11 },
    });
    const long = `*${"a".repeat(1100)}b`;
    expect(bad(`namespaces:\n  - pattern: "${long}"\n    team: t\n`)).toEqual({
      code: "INPUT",
      message: 'field "namespaces[0].pattern": pattern is 1102 characters long; the limit is 1024',
      context: { file: "owners.yaml", field: "namespaces[0].pattern", line: 2, column: 14 },
    });
    expect(bad("teams: {}\n")).toEqual({
      code: "INPUT",
      message: 'field "teams": unknown field (expected one of: keys, namespaces, images)',
      context: { file: "owners.yaml", field: "teams", line: 1, column: 8 },
    });
    expect(bad("namespaces: {__proto__: x}\n")).toMatchObject({
      code: "UNSAFE",
      context: { file: "owners.yaml" },
    });
    expect(bad("- a\n")).toMatchObject({
      code: "INPUT",
      message: "ownership file must be a mapping with keys, namespaces and images",
    });
    expect(bad("keys: [a\n")).toMatchObject({ code: "INPUT", context: { file: "owners.yaml" } });
    expect(({} as Record<string, unknown>).x).toBeUndefined();
    const dir = await mkdtemp(join(tmpdir(), "palisade-owners-"));
    await writeFile(join(dir, "o.yaml"), 'images: {"ghcr.io/acme/*": platform}\n');
    await expect(loadOwnershipFile("o.yaml", { cwd: dir })).resolves.toEqual({
      keys: ["team", "owner"],
      namespaces: [],
      images: [{ pattern: "ghcr.io/acme/*", team: "platform" }],
    });
    await expect(loadOwnershipFile("missing.yaml", { cwd: dir })).rejects.toMatchObject({
      code: "INPUT",
      context: { file: "missing.yaml" },
    });
    await rm(dir, { recursive: true, force: true });
  });
});
