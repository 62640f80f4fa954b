import { describe, expect, it } from "vitest";
import { detectSecrets, scanTextForSecrets, scanTextForSecretsDetailed } from "./index.js";

// Fake credentials with the issuers' documented shapes; none is real.
const AWS_ID = "AKIAIOSFODNN7EXAMPLE";
const AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const GH = `ghp_${"x1Y2z3".repeat(6)}`;
const GH_PAT = `github_pat_${"A1_b".repeat(20)}xy`;
const GL = `glpat-${"a1B2c".repeat(4)}`;
const SLACK = "xoxb-2222222222-3333333333-abcdefABCDEF";
const HOOK = `https://hooks.slack.com/services/T0000000/B1111111/${"Z9".repeat(12)}`;
const GOOGLE = `AIza${"Sy0-_".repeat(7)}`;
const STRIPE = `sk_live_${"4eC39HqLyjWDarjtT1zdp7dc".slice(0, 24)}`;
const JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U";

describe("detectSecrets", () => {
  it.each([
    ["AWS_ACCESS_KEY_ID", AWS_ID, [{ kind: "aws-access-key-id", redacted: "AKIA****(redacted, 20 chars)" }]],
    [
      "AWS_SECRET_ACCESS_KEY",
      AWS_SECRET,
      [{ kind: "aws-secret-access-key", redacted: "****(redacted, 40 chars)" }],
    ],
    ["GH", GH, [{ kind: "github-token", redacted: "ghp_****(redacted, 40 chars)" }]],
    ["token", GH_PAT, [{ kind: "github-token", redacted: "gith****(redacted, 93 chars)" }]],
    ["x", GL, [{ kind: "gitlab-token", redacted: "glpa****(redacted, 26 chars)" }]],
    ["x", SLACK, [{ kind: "slack-token", redacted: `xoxb****(redacted, ${SLACK.length} chars)` }]],
    ["WEBHOOK", HOOK, [{ kind: "slack-webhook", redacted: `****(redacted, ${HOOK.length} chars)` }]],
    ["maps", GOOGLE, [{ kind: "google-api-key", redacted: "AIza****(redacted, 39 chars)" }]],
    ["pay", STRIPE, [{ kind: "stripe-key", redacted: "****(redacted, 32 chars)" }]],
    ["SESSION", JWT, [{ kind: "jwt", redacted: `****(redacted, ${JWT.length} chars)` }]],
    [
      "tls.key",
      "-----BEGIN OPENSSH PRIVATE KEY-----\nb3Blbn\n-----END OPENSSH PRIVATE KEY-----",
      [{ kind: "private-key", redacted: "****(redacted, 35 chars)" }],
    ],
    [
      "DATABASE_URL",
      "postgres://app:s3cretpw@db:5432/x",
      [{ kind: "url-credentials", redacted: "****(redacted, 8 chars)" }],
    ],
    ["DB_PASSWORD", "hunter2!", [{ kind: "password-like-key", redacted: "****(redacted, 8 chars)" }]],
    ["dbPassword", "hunter2!", [{ kind: "password-like-key", redacted: "****(redacted, 8 chars)" }]],
    ["client-secret", "0123abcd-ef", [{ kind: "password-like-key", redacted: "****(redacted, 11 chars)" }]],
    ["api_key", "k-123456", [{ kind: "password-like-key", redacted: "****(redacted, 8 chars)" }]],
  ])("%s: detects", (key, value, expected) => {
    expect(detectSecrets(key, value)).toEqual(expected);
  });

  it("reports several credentials in one value, each once", () => {
    expect(detectSecrets("CONFIG", `id=${AWS_ID} token=${GH}`)).toEqual([
      { kind: "aws-access-key-id", redacted: "AKIA****(redacted, 20 chars)" },
      { kind: "github-token", redacted: "ghp_****(redacted, 40 chars)" },
    ]);
  });

  it.each([
    ["DB_PASSWORD", ""],
    ["DB_PASSWORD", "$(DB_PASSWORD_FROM_SECRET)"],
    ["DB_PASSWORD", "$" + "{DB_PASSWORD}"], // a literal shell reference, not a template
    ["API_TOKEN", "{{ .Values.token }}"],
    ["API_TOKEN", "<your-token>"],
    ["PASSWORD_FILE", "/run/secrets/db"],
    ["SECRET_NAME", "db-credentials"],
    ["TOKEN_TTL", "3600"],
    ["AUTH_KEY_ENABLED", "true"],
    ["PASSWORD", "/etc/app/password"],
    ["DB_HOST", "postgres.internal"],
    ["BYPASS", "something-long"],
    ["COMPASS", "north-by-northwest"],
    ["AWS_SECRET_ACCESS_KEY_ID", "not-forty-characters"],
    ["URL", "https://example.com/path@v1"],
  ])("%s=%s: not a credential", (key, value) => {
    expect(detectSecrets(key, value)).toEqual([]);
  });

  it("never returns the value or more than a 4-character public prefix", () => {
    for (const v of [AWS_ID, GH, SLACK, JWT, STRIPE, "hunter2-and-more"]) {
      const text = JSON.stringify(detectSecrets("PASSWORD", v));
      expect(text).not.toContain(v);
      expect(text).not.toContain(v.slice(0, 5));
    }
  });
});

describe("scanTextForSecrets", () => {
  it("reports line numbers for assignments, exports, JSON and bare tokens", () => {
    const text = [
      "# config",
      `export AWS_ACCESS_KEY_ID=${AWS_ID}`,
      'DB_PASSWORD="p@ssw0rd-prod"',
      "debug: true",
      `  "github": "${GH}",`,
      "password: $" + "{FROM_ENV}",
      "-----BEGIN EC PRIVATE KEY-----",
      "MHcCAQEE",
      "-----END EC PRIVATE KEY-----",
      `curl -H "Authorization: Bearer ${JWT}"`,
    ].join("\r\n");
    expect(scanTextForSecrets(text)).toEqual([
      { line: 2, kind: "aws-access-key-id", redacted: "AKIA****(redacted, 20 chars)" },
      { line: 3, kind: "password-like-key", redacted: "****(redacted, 13 chars)" },
      { line: 5, kind: "github-token", redacted: "ghp_****(redacted, 40 chars)" },
      { line: 7, kind: "private-key", redacted: "****(redacted, 30 chars)" },
      { line: 10, kind: "jwt", redacted: `****(redacted, ${JWT.length} chars)` },
    ]);
  });

  it("scans only the first maxBytes and says so", () => {
    const text = `${"a\n".repeat(100)}AWS=${AWS_ID}\n`;
    expect(scanTextForSecretsDetailed(text, { maxBytes: 150 })).toEqual({ matches: [], truncated: true });
    expect(scanTextForSecretsDetailed(text, { maxBytes: 10_000 })).toEqual({
      matches: [{ line: 101, kind: "aws-access-key-id", redacted: "AKIA****(redacted, 20 chars)" }],
      truncated: false,
    });
  });
});

describe("pathological cases", () => {
  it("non-string inputs are ignored", () => {
    expect(detectSecrets(undefined as unknown as string, AWS_ID)).toEqual([]);
    expect(detectSecrets("PASSWORD", 42 as unknown as string)).toEqual([]);
  });

  it("near-miss token shapes are not reported", () => {
    expect(detectSecrets("x", "AKIA123")).toEqual([]); // too short
    expect(detectSecrets("x", `${AWS_ID}X`)).toEqual([]); // no word boundary
    expect(detectSecrets("x", "ghp_short")).toEqual([]);
    expect(detectSecrets("x", "eyJ.eyJ.sig")).toEqual([]);
    expect(detectSecrets("x", "-----BEGIN PUBLIC KEY-----")).toEqual([]);
  });

  it("a one-line 17 KB JSON is scanned whole: a key past 16 KiB is found (it was cut off silently)", () => {
    const filler = Array.from({ length: 400 }, (_, i) => `"field${i}":"${"x".repeat(30)}"`).join(",");
    const json = `{${filler},"aws_access_key_id":"${AWS_ID}","aws_secret_access_key":"${"a".repeat(40)}"}`;
    expect(json.length).toBeGreaterThan(17_000);
    expect(json.indexOf(AWS_ID)).toBeGreaterThan(16 * 1024);
    expect(scanTextForSecretsDetailed(json)).toEqual({
      matches: [{ line: 1, kind: "aws-access-key-id", redacted: "AKIA****(redacted, 20 chars)" }],
      truncated: false,
    });
    // Key-announced values inside minified JSON are found too (each "key":"value" pair is checked).
    const secretOnly = `{${filler},"aws_secret_access_key":"${"a".repeat(40)}","db_password":"hunter2hunter2"}`;
    expect(scanTextForSecretsDetailed(secretOnly)).toEqual({
      matches: [
        { line: 1, kind: "aws-secret-access-key", redacted: "****(redacted, 40 chars)" },
        { line: 1, kind: "password-like-key", redacted: "****(redacted, 14 chars)" },
      ],
      truncated: false,
    });
  });

  it("a line longer than an explicit maxLineLength says truncated", () => {
    const r = scanTextForSecretsDetailed(`${"x".repeat(100)}${AWS_ID}`, { maxLineLength: 50 });
    expect(r).toEqual({ matches: [], truncated: true });
  });

  it("hostile, large inputs complete and stay bounded (no catastrophic backtracking)", () => {
    const longLine = `${"eyJ".repeat(50_000)}.${"A".repeat(100_000)}`;
    const manyPrefixes = "AKIA ".repeat(100_000);
    const deepKey = `${"a".repeat(200)}=${"b".repeat(100_000)}`;
    const userinfo = `http://${"u".repeat(5000)}:${"p".repeat(5000)}`;
    expect(scanTextForSecretsDetailed(longLine, { maxBytes: 4 * 1024 * 1024 }).truncated).toBe(false);
    expect(scanTextForSecrets(manyPrefixes)).toEqual([]);
    expect(scanTextForSecrets(deepKey)).toEqual([]);
    expect(detectSecrets("URL", userinfo)).toEqual([]);
  });

  it("unicode, NUL bytes and lone surrogates do not break line accounting", () => {
    const text = `héllo\u0000\n\ud800\nTOKEN=${GH}\n`;
    expect(scanTextForSecrets(text)).toEqual([
      { line: 3, kind: "github-token", redacted: "ghp_****(redacted, 40 chars)" },
    ]);
  });

  it("an empty text and a text of only newlines have no matches", () => {
    expect(scanTextForSecrets("")).toEqual([]);
    expect(scanTextForSecrets("\n\n\r\n")).toEqual([]);
  });
});
