import { describe, expect, it } from "vitest";
import {
  detectSecrets,
  redactSecretsInText,
  scanTextForSecrets,
  scanTextForSecretsDetailed,
} from "./index.js";

// Fake credentials built in the issuers' documented shapes at run time; none is real.
const rep = (s: string, n: number): string => s.repeat(Math.ceil(n / s.length)).slice(0, n);
/** 64 pseudo-random bytes in base64: the shape of an Azure Storage/Batch account key (88 chars, `==`). */
const AZURE_KEY = btoa(String.fromCharCode(...Array.from({ length: 64 }, (_, i) => (i * 151 + 17) % 256)));
/** An unarmoured PKCS#8 body as OCI_CLI_KEY_CONTENT sometimes holds it. */
const PEM_BODY = `MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7${rep("q9Xk3Lp0Zr7Tb2Wm", 64)}`;
const PEM = `-----BEGIN PRIVATE KEY-----\n${PEM_BODY}\n-----END PRIVATE KEY-----`;
const DO = `dop_v1_${rep("0123456789abcdef", 64)}`;
const SENDGRID = `SG.${rep("aB3dE6gH9jK", 22)}.${rep("Zx8Cv5Bn2Mq_-", 43)}`;
const NPM = `npm_${rep("a1B2c3D4e5F6", 36)}`;
const PYPI = `pypi-AgEIcHlwaS5vcmc${rep("CJDU5YjM0LWFiYzEtNDRmNC05", 60)}`;
const TWILIO = `SK${rep("0123456789abcdef", 32)}`;
const ALIBABA = `LTAI${rep("5tB9cQ2xZr8m", 20)}`;
const STRIPE_RK = `rk_live_${rep("51H8kLm2Np4Qr6St", 24)}`;
const WHSEC = `whsec_${rep("Ab3Cd5Ef7Gh9", 32)}`;
const SLACK_APP = `xapp-1-A0123456789-1234567890123-${rep("0a1b2c3d4e5f6789", 64)}`;
const ENTRA = `abc8Q~${rep("Xy7-Zw6.Vu5_Ts4", 34)}`;

const kinds = (key: string, value: string) => detectSecrets(key, value).map((m) => m.kind);

describe("credential families: one positive and one negative each", () => {
  it.each([
    ["Azure Batch account key under AZURE_BATCH_KEY", "AZURE_BATCH_KEY", AZURE_KEY, "cloud-key"],
    [
      "Azure Storage connection string",
      "STORAGE",
      `DefaultEndpointsProtocol=https;AccountName=shop;AccountKey=${AZURE_KEY};EndpointSuffix=core.windows.net`,
      "azure-storage-key",
    ],
    ["Microsoft Entra client secret", "CLIENT", ENTRA, "azure-client-secret"],
    ["OCI CLI key with its armour", "OCI_CLI_KEY_CONTENT", PEM, "private-key"],
    ["OCI CLI key body without armour", "OCI_CLI_KEY_CONTENT", PEM_BODY, "high-entropy-key-value"],
    ["OCI customer key by provider", "OCI_S3_KEY", `${rep("Zk9Qw2Er5Ty8Ui1Op4As7Df0", 43)}=`, "cloud-key"],
    [
      "GCP service-account JSON",
      "sa.json",
      '{"type": "service_account", "private_key": "-----BEGIN PRIVATE KEY-----\\nMIIE\\n-----END PRIVATE KEY-----\\n"}',
      "private-key",
    ],
    ["GCP API key", "MAPS", `AIza${rep("Sy0-_Bq9", 35)}`, "google-api-key"],
    ["Alibaba AccessKey id", "X", ALIBABA, "alibaba-access-key-id"],
    [
      "Alibaba AccessKey secret",
      "ALIBABA_CLOUD_ACCESS_KEY",
      rep("k8Jd2Nf5Hs9Lq3Wp7Zx1Cv4Bm6", 30),
      "cloud-key",
    ],
    ["DigitalOcean token", "X", DO, "digitalocean-token"],
    ["RSA private key", "x", "-----BEGIN RSA PRIVATE KEY-----", "private-key"],
    ["EC private key", "x", "-----BEGIN EC PRIVATE KEY-----", "private-key"],
    ["DSA private key", "x", "-----BEGIN DSA PRIVATE KEY-----", "private-key"],
    ["OpenSSH private key", "x", "-----BEGIN OPENSSH PRIVATE KEY-----", "private-key"],
    ["encrypted PKCS#8 key", "x", "-----BEGIN ENCRYPTED PRIVATE KEY-----", "private-key"],
    ["PGP private key block", "x", "-----BEGIN PGP PRIVATE KEY BLOCK-----", "private-key"],
    ["PuTTY key file", "x", "PuTTY-User-Key-File-3: ssh-ed25519", "private-key"],
    ["Slack app-level token", "X", SLACK_APP, "slack-token"],
    ["Stripe restricted key", "X", STRIPE_RK, "stripe-key"],
    ["Stripe webhook secret", "X", WHSEC, "stripe-webhook-secret"],
    ["Twilio API key SID", "X", TWILIO, "twilio-api-key"],
    ["SendGrid API key", "X", SENDGRID, "sendgrid-key"],
    ["npm token", "X", NPM, "npm-token"],
    ["PyPI token", "X", PYPI, "pypi-token"],
    ["postgres URL", "DSN", "postgres://app:Sup3rS3cret@db:5432/shop", "url-credentials"],
    ["mongodb+srv URL", "MONGO", "mongodb+srv://app:Sup3rS3cret@cluster0.example.net/db", "url-credentials"],
    ["Redis URL with an empty user", "REDIS", "redis://:Sup3rS3cret@redis:6379/0", "url-credentials"],
    [
      "JDBC password=",
      "JDBC",
      "jdbc:mysql://db:3306/shop?user=app&password=Sup3rS3cret",
      "connection-string-password",
    ],
    [
      "ADO.NET Password=",
      "CONN",
      "Server=tcp:db.example.net,1433;Database=shop;User Id=app;Password=Sup3rS3cret;",
      "connection-string-password",
    ],
    [
      "high-entropy value under a key-like name",
      "SIGNING_KEY",
      "9fK2mQ7xL4pW8zR1vT6yB3nH5cJ0dG2s",
      "high-entropy-key-value",
    ],
  ])("%s", (_name, key, value, kind) => {
    expect(kinds(key, value)).toEqual([kind]);
    // Never the value, never more than a 4-character public prefix.
    const out = JSON.stringify(detectSecrets(key, value));
    expect(out).not.toContain(value.slice(0, 12));
  });

  it.each([
    ["Azure key shape under an unrelated name", "IMAGE_LAYER", AZURE_KEY],
    ["Entra secret without its Q~ marker", "CLIENT", "abc8X~Xy7-Zw6.Vu5_Ts4Xy7-Zw6.Vu5_Ts4Xy7"],
    ["OCI key file path", "OCI_CLI_KEY_FILE", "/home/app/.oci/key.pem"],
    [
      "OCI tenancy OCID",
      "OCI_TENANCY",
      "ocid1.tenancy.oc1..aaaaaaaaba3pv6wkcr4jqae5f15p2b2m2yt2j6rx32uzr4h25vqstifsfdsq",
    ],
    [
      "GCP service-account JSON without a key",
      "sa.json",
      '{"type": "service_account", "client_email": "a@b.iam.gserviceaccount.com"}',
    ],
    ["GCP API key too short", "MAPS", "AIzaSyShort"],
    ["Alibaba id too short", "X", "LTAI1234"],
    ["DigitalOcean token not hex", "X", `dop_v1_${rep("xyz", 64)}`],
    ["public key armour", "x", "-----BEGIN PUBLIC KEY-----"],
    ["certificate armour", "x", "-----BEGIN CERTIFICATE-----"],
    ["Slack-like word", "X", "xapp-settings"],
    ["Stripe test key", "X", `sk_test_${rep("51H8kLm2Np4Qr6St", 24)}`],
    ["Twilio account SID is an id", "TWILIO_ACCOUNT_SID", `AC${rep("0123456789abcdef", 32)}`],
    ["SendGrid-like text", "X", "SG.example.com"],
    ["npm token too short", "X", "npm_install"],
    ["PyPI text", "X", "pypi-simple-index"],
    ["URL with a placeholder password", "DSN", "postgres://app:$(DB_PASSWORD)@db:5432/shop"],
    ["URL without credentials", "DSN", "mongodb+srv://cluster0.example.net/db"],
    [
      "JDBC with a placeholder password",
      "JDBC",
      "jdbc:mysql://db/shop?user=app&password=$" + "{DB_PASSWORD}",
    ],
    ["ADO.NET with integrated security", "CONN", "Server=db;Database=shop;Integrated Security=true;"],
    ["low-entropy value under a key-like name", "CACHE_KEY", "user-profile-v2"],
    ["identifier under a key-like name", "PRIMARY_KEY", "customer_id"],
    [
      "public key under a key-like name",
      "JWT_PUBLIC_KEY",
      "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE9fK2mQ7xL4pW8zR1vT6y",
    ],
    ["hash under a key-like name", "CONFIG_HASH_KEY", "9fK2mQ7xL4pW8zR1vT6yB3nH5cJ0dG2s"],
  ])("not a credential: %s", (_name, key, value) => {
    expect(kinds(key, value)).toEqual([]);
  });

  it("text scans (image files, ConfigMap files) find the new families with their lines", () => {
    const text = [
      "[azure]",
      `batch_key = ${AZURE_KEY}`,
      `//registry.npmjs.org/:_authToken=${NPM}`,
      `SPRING_DATASOURCE_URL=jdbc:sqlserver://db;user=app;password=Sup3rS3cret`,
      "cache_key = user-profile",
    ].join("\n");
    expect(scanTextForSecrets(text).map((m) => [m.line, m.kind])).toEqual([
      [2, "cloud-key"],
      [3, "npm-token"],
      [4, "connection-string-password"],
    ]);
  });

  it("server text echoing the new token shapes is redacted", () => {
    const out = redactSecretsInText(`denied for ${DO} and ${SENDGRID} with ${TWILIO}`);
    for (const v of [DO, SENDGRID, TWILIO]) expect(out).not.toContain(v.slice(0, 10));
  });
});

describe("pathological cases", () => {
  // Long hostile strings built to make a backtracking pattern try every split: prefixes repeated without the
  // rest of the token, separators without values, huge runs of the character classes the patterns accept.
  const hostile: [string, string][] = [
    ["Q~ markers", "aaa1Q~".repeat(40_000)],
    ["AccountKey= without a key", "AccountKey=".repeat(20_000)],
    ["password= separators", ";password=".repeat(20_000)],
    ["url userinfo without @", `redis://${":".repeat(50_000)}`],
    ["SK and hex", `SK${"a".repeat(200_000)}`],
    ["pypi macaroon prefix", `pypi-AgEIcHlwaS5vcmc${"A".repeat(200_000)}`],
    ["SendGrid dots", "SG.".repeat(60_000)],
    ["do*_v1_", "dop_v1_".repeat(30_000)],
    ["key-like value", "k".repeat(200_000)],
  ];
  it.each(hostile)("%s: completes and finds nothing it should not", (_name, s) => {
    expect(scanTextForSecretsDetailed(s, { maxBytes: 4 * 1024 * 1024 }).truncated).toBe(false);
    expect(detectSecrets("SIGNING_KEY", s).every((m) => !m.redacted.includes(s.slice(0, 8)))).toBe(true);
    expect(redactSecretsInText(s).length).toBeLessThanOrEqual(2048 + "... (cut)".length);
  });
});
