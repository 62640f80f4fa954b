import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { catalogTextFile, matchCataloger } from "./index.js";
import { parsePipfileLock, parsePoetryLock, parseRequirements, parseUvLock } from "./python-lock.js";

const DIR = join(import.meta.dirname, "__fixtures__", "source", "python");
const read = (name: string) => new Uint8Array(readFileSync(join(DIR, name)));
const enc = (s: string) => new TextEncoder().encode(s);
const pypi = (name: string, version: string, file: string, line: number) => ({
  type: "pypi",
  name,
  version,
  locations: [file],
  line,
});

describe("Python lockfiles", () => {
  it("are matched by path", () => {
    expect(
      [
        "app/poetry.lock",
        "Pipfile.lock",
        "svc/uv.lock",
        "requirements.txt",
        "requirements-dev.txt",
        "requirements/prod.txt",
        "docs/requirements.in",
        "notes.txt",
      ].map(matchCataloger),
    ).toEqual([
      "poetry",
      "pipfile",
      "uv",
      "requirements",
      "requirements",
      "requirements",
      undefined,
      undefined,
    ]);
  });

  it("poetry.lock: every [[package]] at its header line; a directory source is local code", () => {
    expect(parsePoetryLock(read("poetry.lock"), "app/poetry.lock")).toEqual({
      packages: [
        pypi("certifi", "2023.7.22", "app/poetry.lock", 3),
        pypi("django", "4.2.1", "app/poetry.lock", 14),
        pypi("requests", "2.31.0", "app/poetry.lock", 46),
        pypi("toolz", "0.12.0", "app/poetry.lock", 63),
      ],
      coverage: [],
    });
  });

  it("uv.lock: registry and git packages; the editable project and directory sources are not releases", () => {
    expect(catalogTextFile("uv", read("uv.lock"), "uv.lock")).toEqual({
      packages: [
        pypi("anyio", "4.8.0", "uv.lock", 5),
        pypi("idna", "3.10", "uv.lock", 29),
        pypi("jinja2", "3.1.2", "uv.lock", 35),
        pypi("sniffio", "1.3.1", "uv.lock", 49),
      ],
      coverage: [],
    });
  });

  it("Pipfile.lock: default and develop, == stripped, the line of each name", () => {
    expect(parsePipfileLock(read("Pipfile.lock"), "Pipfile.lock")).toEqual({
      packages: [
        pypi("flask", "2.2.5", "Pipfile.lock", 19),
        pypi("werkzeug", "2.2.3", "Pipfile.lock", 31),
        pypi("pytest", "7.4.0", "Pipfile.lock", 40),
      ],
      coverage: [],
    });
  });

  it("requirements.txt: == and === pins; ranges, bare names, wildcards and URLs are said, with their line", () => {
    const r = parseRequirements(read("requirements.txt"), "requirements.txt");
    expect(r.packages).toEqual([
      pypi("Django", "3.2.12", "requirements.txt", 7),
      pypi("pyyaml", "5.3.1", "requirements.txt", 11),
      pypi("urllib3", "1.26.4", "requirements.txt", 12),
    ]);
    expect(r.coverage.map((c) => [c.reason, c.location?.line, c.message])).toEqual([
      ["unsupported", 13, "requests >=2.0: not pinned with ==, so there is no version to match"],
      ["unsupported", 14, "numpy: not pinned with ==, so there is no version to match"],
      ["unsupported", 15, "pillow ==9.*: not pinned with ==, so there is no version to match"],
      [
        "unsupported",
        16,
        "git+https://github.com/org/pkg.git@v1.0#egg=pkg: a URL or path requirement has no version to match",
      ],
    ]);
  });

  describe("pathological cases", () => {
    it("a truncated poetry.lock keeps the packages before the cut and names the line", () => {
      const text = readFileSync(join(DIR, "poetry.lock"), "utf8");
      const cut = text.slice(0, text.indexOf('description = "Python HTTP') + 20);
      const r = parsePoetryLock(enc(cut), "poetry.lock");
      expect(r.packages.map((p) => p.name)).toEqual(["certifi", "django", "requests"]);
      expect(r.coverage).toEqual([
        {
          reason: "parse-error",
          subject: "poetry.lock",
          location: { file: "poetry.lock", line: 49, column: 1 },
          message: "poetry.lock: unterminated string; read up to this line",
        },
      ]);
    });

    it("wrong types: a package whose name or version is not a string is said, the rest kept", () => {
      const r = parseUvLock(
        enc('[[package]]\nname = 7\nversion = "1"\n\n[[package]]\nname = "ok"\nversion = "1.0"\n'),
        "uv.lock",
      );
      expect([r.packages.map((p) => p.name), r.coverage.map((c) => [c.reason, c.location?.line])]).toEqual([
        ["ok"],
        [["invalid", 1]],
      ]);
      expect(
        parsePipfileLock(
          enc('{"default": [1], "develop": {"x": "==1", "y": {"version": 3}}}'),
          "P",
        ).coverage.map((c) => c.message),
      ).toEqual([
        'Pipfile.lock: "default" is not an object',
        "Pipfile.lock: develop.x is not an object",
        "Pipfile.lock: develop.y has no version string",
      ]);
      expect(parsePipfileLock(enc("[]"), "P").coverage[0]?.message).toBe("Pipfile.lock is not a JSON object");
      expect(parsePipfileLock(enc("{"), "P").coverage[0]?.reason).toBe("parse-error");
    });

    it("__proto__ keys are refused, never assigned", () => {
      const r = parsePoetryLock(
        enc(
          '[[package]]\nname = "a"\nversion = "1"\n__proto__ = { polluted = true }\nsource = { __proto__ = 1 }\n',
        ),
        "poetry.lock",
      );
      expect(r.packages.map((p) => p.name)).toEqual(["a"]);
      expect(r.coverage.map((c) => c.message)).toEqual([
        'poetry.lock: key "__proto__" refused',
        'poetry.lock: key "__proto__" refused',
      ]);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      const p = parsePipfileLock(
        enc('{"default": {"__proto__": {"version": "==1"}, "b": {"version": "==2"}}}'),
        "P",
      );
      expect(p.packages.map((x) => x.name)).toEqual(["b"]);
    });

    it("huge: 200,001 pins stop at the cap with a limit entry; a 1 MB line is one bad requirement", () => {
      const many = Array.from({ length: 200_001 }, (_, i) => `p${i}==1.0`).join("\n");
      const r = parseRequirements(enc(many), "requirements.txt");
      expect([r.packages.length, r.coverage.map((c) => c.reason)]).toEqual([200_000, ["limit"]]);
      const long = parseRequirements(enc(`${"x".repeat(1_000_000)}>=1`), "requirements.txt");
      expect([long.packages.length, long.coverage.length]).toEqual([0, 1]);
    });

    it("binary garbage is a parse error or nothing, never a throw", () => {
      const junk = new Uint8Array(4096).map((_, i) => (i * 7919) % 256);
      for (const f of [parsePoetryLock, parseUvLock, parsePipfileLock, parseRequirements])
        expect(() => f(junk, "x")).not.toThrow();
    });
  });
});
