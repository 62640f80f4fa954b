import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  isComposerPath,
  makePurl,
  matchCataloger,
  parseComposerInstalled,
  parseComposerLock,
} from "./index.js";
import { MAX_COMPOSER_PACKAGES } from "./php.js";

const enc = (s: string) => new TextEncoder().encode(s);
const LOCK = readFileSync(join(import.meta.dirname, "__fixtures__", "composer.lock"));

describe("composer", () => {
  it("reads which files are Composer's", () => {
    expect(
      [
        "srv/app/composer.lock",
        "composer.lock",
        "srv/app/vendor/composer/installed.json",
        "vendor/composer/installed.json",
        "srv/app/vendor/guzzlehttp/guzzle/composer.lock",
        "srv/app/composer.json",
        "srv/app/vendor/composer/installed.php",
        "srv/app/vendor/x/composer/installed.json",
      ].map((p) => [p, isComposerPath(p), matchCataloger(p)]),
    ).toEqual([
      ["srv/app/composer.lock", true, "php"],
      ["composer.lock", true, "php"],
      ["srv/app/vendor/composer/installed.json", true, "php"],
      ["vendor/composer/installed.json", true, "php"],
      ["srv/app/vendor/guzzlehttp/guzzle/composer.lock", false, undefined],
      ["srv/app/composer.json", false, undefined],
      ["srv/app/vendor/composer/installed.php", false, undefined],
      ["srv/app/vendor/x/composer/installed.json", false, undefined],
    ]);
  });

  it("composer.lock: packages and packages-dev, each at the line of its name, with licenses", () => {
    expect(parseComposerLock(LOCK, "srv/app/composer.lock")).toEqual({
      packages: [
        {
          type: "composer",
          name: "guzzlehttp/guzzle",
          version: "7.4.4",
          locations: ["srv/app/composer.lock"],
          line: 10,
          licenses: ["MIT"],
        },
        {
          type: "composer",
          name: "symfony/http-kernel",
          version: "v5.4.19",
          locations: ["srv/app/composer.lock"],
          line: 46,
          licenses: ["MIT"],
        },
        {
          type: "composer",
          name: "phpunit/phpunit",
          version: "9.5.27",
          locations: ["srv/app/composer.lock"],
          line: 66,
          licenses: ["BSD-3-Clause"],
        },
      ],
      coverage: [],
    });
  });

  it("installed.json, Composer 2 (object with packages) and Composer 1 (bare array)", () => {
    const v2 = `{
    "packages": [
        {
            "name": "monolog/monolog",
            "version": "2.8.0",
            "version_normalized": "2.8.0.0",
            "type": "library",
            "install-path": "../monolog/monolog"
        },
        {
            "name": "psr/log",
            "version": "1.1.4",
            "version_normalized": "1.1.4.0",
            "license": ["MIT"]
        }
    ],
    "dev": true,
    "dev-package-names": []
}
`;
    expect(parseComposerInstalled(enc(v2), "app/vendor/composer/installed.json")).toEqual({
      packages: [
        {
          type: "composer",
          name: "monolog/monolog",
          version: "2.8.0",
          locations: ["app/vendor/composer/installed.json"],
          line: 4,
        },
        {
          type: "composer",
          name: "psr/log",
          version: "1.1.4",
          locations: ["app/vendor/composer/installed.json"],
          line: 11,
          licenses: ["MIT"],
        },
      ],
      coverage: [],
    });
    const v1 = `[
    {
        "name": "monolog/monolog",
        "version": "1.25.1",
        "version_normalized": "1.25.1.0"
    }
]`;
    expect(parseComposerInstalled(enc(v1), "vendor/composer/installed.json").packages).toEqual([
      {
        type: "composer",
        name: "monolog/monolog",
        version: "1.25.1",
        locations: ["vendor/composer/installed.json"],
        line: 3,
      },
    ]);
  });

  it("purls: vendor as namespace, lower case (purl-spec composer)", () => {
    expect(
      makePurl(
        { type: "composer", name: "Symfony/Http-Kernel", version: "v5.4.19", locations: [] },
        undefined,
      ),
    ).toBe("pkg:composer/symfony/http-kernel@v5.4.19");
  });

  describe("pathological cases", () => {
    it("truncated JSON is a parse error naming the file", () => {
      expect(parseComposerLock(LOCK.subarray(0, 300), "composer.lock")).toEqual({
        packages: [],
        coverage: [
          {
            reason: "parse-error",
            subject: "composer.lock",
            message: expect.stringMatching(/^invalid JSON: /),
          },
        ],
      });
    });

    it("wrong types: packages not an array, entries without string name/version, a string root", () => {
      expect(
        parseComposerLock(
          enc(
            '{"packages": {"name": "a/b"}, "packages-dev": [{"name": 1, "version": "1"}, null, "x", {"name": "a/c", "version": "1.0", "license": [7, "MIT"]}]}',
          ),
          "composer.lock",
        ),
      ).toEqual({
        packages: [
          {
            type: "composer",
            name: "a/c",
            version: "1.0",
            locations: ["composer.lock"],
            line: 1,
            licenses: ["MIT"],
          },
        ],
        coverage: [
          { reason: "parse-error", subject: "composer.lock", message: "packages is not an array" },
          {
            reason: "parse-error",
            subject: "composer.lock",
            message: "3 entries of packages-dev without a string name and version",
          },
        ],
      });
      expect(parseComposerLock(enc('"x"'), "composer.lock").coverage[0]?.message).toBe(
        "composer.lock is not an object",
      );
      expect(parseComposerInstalled(enc("{}"), "i.json").coverage[0]?.message).toBe(
        "installed.json has no packages",
      );
      expect(parseComposerInstalled(enc("7"), "i.json").coverage[0]?.message).toBe(
        "installed.json is neither an array nor an object",
      );
    });

    it("__proto__ and constructor keys are dropped, not merged", () => {
      const r = parseComposerLock(
        enc(
          '{"__proto__": {"polluted": 1}, "packages": [{"name": "a/b", "version": "1.0", "__proto__": {"x": 1}, "constructor": {"prototype": {"y": 1}}}]}',
        ),
        "composer.lock",
      );
      expect(r.packages.map((p) => p.name)).toEqual(["a/b"]);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    });

    it("huge: more packages than the budget stops with a limit entry", () => {
      const many = Array.from({ length: MAX_COMPOSER_PACKAGES + 5 }, (_, i) => ({
        name: `v/p${i}`,
        version: "1.0.0",
      }));
      const r = parseComposerLock(enc(JSON.stringify({ packages: many })), "composer.lock");
      expect(r.packages).toHaveLength(MAX_COMPOSER_PACKAGES);
      expect(r.coverage).toEqual([
        {
          reason: "limit",
          subject: "composer.lock",
          message: `more than ${MAX_COMPOSER_PACKAGES} packages; the rest were not read`,
        },
      ]);
    });
  });
});
