/**
 * Pure secret detectors. They look at a key/value pair (an env var, a ConfigMap entry) or at lines of text (a file
 * inside an image layer) and report WHAT kind of credential was found and a redacted form of it. The matched value
 * itself is never returned, stored or put in a message: callers only ever see `redact(...)` output.
 *
 * Patterns follow the public token formats documented by each issuer (AWS access key id prefixes, GitHub's
 * `ghp_`/`github_pat_` tokens, Slack `xox?-`/`xapp-` tokens, Stripe, Twilio, SendGrid, npm, PyPI, DigitalOcean and
 * Alibaba prefixes, Azure account keys and Entra client secrets, RFC 7519 JWTs, PEM private key armour from RFC
 * 7468, connection strings with passwords). The families are those maintained secret scanners cover; formats with
 * a prefix or a fixed shape are matched exactly, and prefix-less keys (an Azure Batch key, unarmoured OCI key
 * material) only under a key name that announces them and with a high-entropy value. Every pattern is anchored on
 * a literal and uses bounded quantifiers, so matching is linear in the input.
 */
import { redact } from "../findings/index.js";
import { appendAll } from "../util/index.js";

/** The kinds of credential the detectors recognise. */
export type SecretKind =
  | "aws-access-key-id"
  | "aws-secret-access-key"
  | "private-key"
  | "github-token"
  | "gitlab-token"
  | "slack-token"
  | "slack-webhook"
  | "google-api-key"
  | "stripe-key"
  | "jwt"
  | "url-credentials"
  | "password-like-key"
  | "azure-storage-key"
  | "azure-client-secret"
  | "alibaba-access-key-id"
  | "digitalocean-token"
  | "twilio-api-key"
  | "sendgrid-key"
  | "npm-token"
  | "pypi-token"
  | "stripe-webhook-secret"
  | "connection-string-password"
  | "cloud-key"
  | "high-entropy-key-value";

/** One detected credential. `redacted` never contains the secret body. */
export interface SecretMatch {
  kind: SecretKind;
  redacted: string;
}

/** One detected credential in a text, with its 1-based line number. */
export interface TextSecretMatch extends SecretMatch {
  line: number;
}

interface ValueDetector {
  kind: SecretKind;
  /** Global regex; the whole match (or capture group 1 when present) is the secret. */
  re: RegExp;
  /** How many leading characters are a public, non-sensitive prefix that may be shown (at most 4). */
  keepPrefix: number;
  /** A literal every match contains: the detector is skipped, without running its pattern, when it is absent. */
  hint?: string;
  /** Matches whose secret part is a placeholder (`${DB_PASSWORD}`, `<password>`) are not credentials. */
  skipPlaceholders?: boolean;
}

/**
 * Detectors that recognise a credential by its value alone. Order matters only for overlap: a value claimed by an
 * earlier detector is not reported again by a later one at the same offset.
 */
const VALUE_DETECTORS: readonly ValueDetector[] = [
  // AWS access key ids: 4-letter type prefix + 16 base32 upper-case chars (AWS IAM "Understanding unique ID prefixes").
  { kind: "aws-access-key-id", re: /\b(?:AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16}\b/g, keepPrefix: 4 },
  // RFC 7468 armour for private keys of any algorithm (PKCS#8 `PRIVATE KEY`, `ENCRYPTED PRIVATE KEY`, PKCS#1
  // `RSA`, SEC1 `EC`, `DSA`), OpenSSH's own `OPENSSH PRIVATE KEY`, RFC 4880 `PGP PRIVATE KEY BLOCK`, and the
  // PuTTY key file header. A GCP service-account JSON carries the PKCS#8 armour in its `private_key` field.
  {
    kind: "private-key",
    re: /-----BEGIN (?:[A-Z0-9]{1,20} ){0,3}PRIVATE KEY(?: BLOCK)?-----/g,
    keepPrefix: 0,
  },
  {
    kind: "private-key",
    re: /\bPuTTY-User-Key-File-[23]: [a-z0-9-]{3,32}/g,
    hint: "PuTTY-User-Key-File-",
    keepPrefix: 0,
  },
  // GitHub: classic tokens ghp_/gho_/ghu_/ghs_/ghr_ + 36 alphanumerics; fine-grained github_pat_ + 82 chars.
  { kind: "github-token", re: /\bgh[pousr]_[A-Za-z0-9]{36}\b/g, keepPrefix: 4 },
  { kind: "github-token", re: /\bgithub_pat_[A-Za-z0-9_]{82}\b/g, keepPrefix: 4 },
  { kind: "gitlab-token", re: /\bglpat-[A-Za-z0-9_-]{20}\b/g, keepPrefix: 4 },
  // Slack: bot/user/workspace tokens xox[abposr]-, configuration tokens xoxe.xox[bp]- and xoxe-, app-level
  // tokens xapp-<n>-.
  { kind: "slack-token", re: /\bxox[abposr]-[A-Za-z0-9-]{10,250}/g, keepPrefix: 4 },
  { kind: "slack-token", re: /\bxoxe(?:\.xox[bp])?-\d-[A-Za-z0-9]{100,300}/g, hint: "xoxe", keepPrefix: 4 },
  {
    kind: "slack-token",
    re: /\bxapp-\d-[A-Z0-9]{9,12}-\d{10,16}-[a-f0-9]{64}\b/g,
    hint: "xapp-",
    keepPrefix: 4,
  },
  {
    kind: "slack-webhook",
    re: /https:\/\/hooks\.slack\.com\/services\/T[A-Za-z0-9_]{6,20}\/B[A-Za-z0-9_]{6,20}\/[A-Za-z0-9_]{20,40}/g,
    keepPrefix: 0,
  },
  { kind: "google-api-key", re: /\bAIza[0-9A-Za-z_-]{35}\b/g, keepPrefix: 4 },
  // Stripe secret and restricted keys (live and prod; test-mode keys reach no real money) and webhook secrets.
  { kind: "stripe-key", re: /\b[sr]k_(?:live|prod)_[0-9A-Za-z]{20,247}\b/g, keepPrefix: 0 },
  { kind: "stripe-webhook-secret", re: /\bwhsec_[0-9A-Za-z]{32,64}\b/g, hint: "whsec_", keepPrefix: 0 },
  // Alibaba Cloud AccessKey ID: `LTAI` + 12 to 20 alphanumerics (older ids are 16 characters, current 24).
  { kind: "alibaba-access-key-id", re: /\bLTAI[0-9A-Za-z]{12,20}\b/g, hint: "LTAI", keepPrefix: 4 },
  // DigitalOcean personal access, OAuth and refresh tokens: do[por]_v1_ + 64 hex digits.
  { kind: "digitalocean-token", re: /\bdo[por]_v1_[a-f0-9]{64}\b/g, hint: "_v1_", keepPrefix: 4 },
  // Twilio API key SID: SK + 32 hex digits (the SID names a key whose secret is shown once; both are reported).
  { kind: "twilio-api-key", re: /\bSK[0-9a-fA-F]{32}\b/g, hint: "SK", keepPrefix: 2 },
  // SendGrid API key: SG. + 22-character id + . + 43-character secret (base64url).
  { kind: "sendgrid-key", re: /\bSG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}\b/g, hint: "SG.", keepPrefix: 3 },
  // npm access tokens: npm_ + 36 alphanumerics (the last 6 are a CRC32 checksum of the first 30).
  { kind: "npm-token", re: /\bnpm_[A-Za-z0-9]{36}\b/g, hint: "npm_", keepPrefix: 4 },
  // PyPI API tokens are macaroons: pypi- + base64 of a header that always begins with the location "pypi.org".
  {
    kind: "pypi-token",
    re: /\bpypi-AgEIcHlwaS5vcmc[A-Za-z0-9_-]{50,1000}/g,
    hint: "pypi-AgEI",
    keepPrefix: 4,
  },
  // Azure Storage (and Batch, Cosmos DB) account keys in a connection string: AccountKey= + 64 bytes in base64.
  {
    kind: "azure-storage-key",
    re: /\bAccountKey=([A-Za-z0-9+/]{86}==)/g,
    hint: "AccountKey=",
    keepPrefix: 0,
  },
  // Microsoft Entra ID (Azure AD) client secrets: 3 characters, a digit, `Q~`, then 31 to 34 characters.
  {
    kind: "azure-client-secret",
    re: /(?<![A-Za-z0-9_~.-])[A-Za-z0-9_~.]{3}\dQ~[A-Za-z0-9_~.-]{31,34}(?![A-Za-z0-9_~.-])/g,
    hint: "Q~",
    keepPrefix: 0,
  },
  // RFC 7519 JWT: base64url(JSON header) . base64url(JSON payload) . signature; both JSON parts start with `{"`,
  // which base64url-encodes to `eyJ`.
  {
    kind: "jwt",
    re: /\beyJ[A-Za-z0-9_-]{8,4096}\.eyJ[A-Za-z0-9_-]{8,8192}\.[A-Za-z0-9_-]{8,4096}/g,
    keepPrefix: 0,
  },
  // user:password@ in a URL authority (RFC 3986 userinfo): postgres://, mongodb+srv://, amqp://, and redis://
  // with an empty user (`redis://:password@host`, the Redis AUTH form). Group 1 is the password.
  {
    kind: "url-credentials",
    re: /\b[a-z][a-z0-9+.-]{1,20}:\/\/[^\s:@/'"]{0,128}:([^\s@/'"]{3,128})@[^\s'"]/g,
    keepPrefix: 0,
    skipPlaceholders: true,
  },
  // A password parameter of a connection string, after its `;`, `?` or `&` separator: JDBC
  // (`jdbc:mysql://h/db?user=u&password=p`, `jdbc:sqlserver://h;user=u;password=p`), ADO.NET
  // (`Server=h;User Id=u;Password=p;`), ODBC `;PWD=p`. Group 1 is the password. A bare `password=x` line is the
  // key/value detector's.
  {
    kind: "connection-string-password",
    re: /[;?&]\s{0,4}(?:password|pwd)\s{0,4}=\s{0,4}([^;&\s"']{3,256})/gi,
    keepPrefix: 0,
    skipPlaceholders: true,
  },
];

/** Key names that announce a credential value (env var names, ConfigMap keys, `key=value` lines). */
const SECRET_KEY_RE =
  /(?:^|[^a-z])(?:pass(?:word|wd|phrase)?|pwd|secret|token|api[_.-]?key|apikey|access[_.-]?key|private[_.-]?key|client[_.-]?secret|credentials?|auth[_.-]?key)(?:$|[^a-z])/i;

/** Key suffixes that name WHERE a secret lives or how it is shaped, not the secret itself. */
const NON_SECRET_KEY_SUFFIX_RE =
  /(?:_|-|\.)(?:file|path|dir|ref|name|names|id|key[_-]?id|length|len|min|max|ttl|timeout|expiry|expires|enabled|required|policy|url|uri|endpoint|header|field|type|mode|secret[_-]?name|secret[_-]?ref)$/i;

/** AWS secret access key: 40 base64 characters, named by its key. */
const AWS_SECRET_KEY_RE = /aws.{0,20}secret|secret.?access.?key/i;
const AWS_SECRET_VALUE_RE = /^[A-Za-z0-9/+=]{40}$/;

/**
 * Cloud provider keys that have no issuer prefix, recognised by the provider named in the key and the value's
 * exact shape: Azure Storage/Batch/Cosmos account keys (64 random bytes, so 88 base64 characters ending in `==`),
 * Alibaba AccessKey secrets (30 alphanumerics), OCI customer secret keys (44 base64 characters).
 */
const CLOUD_KEYS: readonly { key: RegExp; value: RegExp }[] = [
  { key: /azure|batch|storage|cosmos|account[_.-]?key/i, value: /^[A-Za-z0-9+/]{86}==$/ },
  { key: /alibaba|aliyun|alicloud/i, value: /^[A-Za-z0-9]{30}$/ },
  { key: /(?:^|[^a-z])oci(?:$|[^a-z])|oracle/i, value: /^[A-Za-z0-9+/]{43}=$/ },
];

/**
 * Key names that announce key material without saying "secret" or "password": `AZURE_BATCH_KEY`,
 * `OCI_CLI_KEY_CONTENT`, `signing-key`, `encryptionKey`, `HMAC_KEY_DATA`. Only a high-entropy value under such a
 * name is reported (`CACHE_KEY=user-profile` and `PRIMARY_KEY=id` are not).
 */
/** Key material that is public or derived: a public key, its fingerprint, a hash or digest. */
const NOT_SECRET_MATERIAL_RE =
  /public|(?:^|[^a-z])pub(?:$|[^a-z])|fingerprint|thumbprint|checksum|hash|digest/i;
const KEY_LIKE_RE =
  /(?:^|[^a-z])(?:key|salt|seed)(?:[_.-]?(?:content|data|material|value|b64|base64|hex))?$/i;

/**
 * Values that are clearly not literal credentials: empty, shell/Kubernetes variable references (`$(VAR)` is the
 * Kubernetes env expansion syntax), template placeholders, booleans, numbers, and file paths.
 */
function isPlaceholder(value: string): boolean {
  const v = value.trim();
  if (v.length < 4) return true;
  if (/^\$\{[^}]*\}$|^\$\([^)]*\)$|^\$[A-Za-z_][A-Za-z0-9_]*$/.test(v)) return true;
  if (/^\{\{.*\}\}$|^<[^>]*>$|^%[^%]*%$/.test(v)) return true;
  if (/^(?:true|false|yes|no|on|off|null|none|nil|redacted|\*+|x+)$/i.test(v)) return true;
  if (/^-?\d+(?:\.\d+)?[a-z]{0,2}$/i.test(v)) return true;
  if (/^(?:\/|\.\/|~\/)[^\s]*$/.test(v)) return true;
  return false;
}

/**
 * Every value detector starts with one of these literals: one cheap test rejects the vast majority of values
 * before the individual patterns run. Must be kept in sync with VALUE_DETECTORS (a test checks each kind).
 */
const ANY_PREFIX =
  /AKIA|ASIA|ABIA|ACCA|-----BEGIN |PuTTY-User-Key-File-|gh[pousr]_|github_pat_|glpat-|xox[abposre]|xapp-|hooks\.slack\.com|AIza|k_live_|k_prod_|whsec_|LTAI|_v1_|SK[0-9a-fA-F]|SG\.|npm_|pypi-|AccountKey=|Q~|eyJ|:\/\/|[Pp][Aa][Ss][Ss][Ww][Oo][Rr][Dd]|[Pp][Ww][Dd]/;

function detectValues(value: string): SecretMatch[] {
  if (!ANY_PREFIX.test(value)) return [];
  const out: SecretMatch[] = [];
  const claimed: [number, number][] = [];
  for (const d of VALUE_DETECTORS) {
    if (d.hint !== undefined && !value.includes(d.hint)) continue;
    d.re.lastIndex = 0;
    for (const m of value.matchAll(d.re)) {
      const start = m.index ?? 0;
      const end = start + m[0].length;
      if (claimed.some(([s, e]) => start < e && end > s)) continue;
      const secret = m[1] ?? m[0];
      if (d.skipPlaceholders && isPlaceholder(secret)) continue;
      claimed.push([start, end]);
      out.push({ kind: d.kind, redacted: redact(secret, d.keepPrefix) });
    }
  }
  return out;
}

/**
 * Detect credentials in one key/value pair. Value-shaped detectors run first; when none fires, a key that
 * announces a credential (`DB_PASSWORD`, `api-key`) with a literal, non-placeholder value is reported as
 * `password-like-key`. Pure; the returned matches never contain the value.
 */
export function detectSecrets(key: string, value: string): SecretMatch[] {
  if (typeof key !== "string" || typeof value !== "string" || value === "") return [];
  const found = detectValues(value);
  if (found.length > 0) return found;
  const v = value.trim();
  if (AWS_SECRET_KEY_RE.test(key) && AWS_SECRET_VALUE_RE.test(v))
    return [{ kind: "aws-secret-access-key", redacted: redact(v) }];
  if (v.length <= 4096 && CLOUD_KEYS.some((c) => c.key.test(key) && c.value.test(v)) && isHighEntropy(v))
    return [{ kind: "cloud-key", redacted: redact(v) }];
  // camelCase keys (`dbPassword`) are split so the word-boundary test sees `db_Password`.
  const k = key.replace(/([a-z0-9])([A-Z])/g, "$1_$2");
  if (SECRET_KEY_RE.test(k) && !NON_SECRET_KEY_SUFFIX_RE.test(k) && !isPlaceholder(v))
    return [{ kind: "password-like-key", redacted: redact(v) }];
  if (
    KEY_LIKE_RE.test(k) &&
    !NON_SECRET_KEY_SUFFIX_RE.test(k) &&
    !NOT_SECRET_MATERIAL_RE.test(k) &&
    isHighEntropy(v)
  )
    return [{ kind: "high-entropy-key-value", redacted: redact(v) }];
  return [];
}

/** Options for {@link scanTextForSecrets}. */
export interface ScanTextOptions {
  /** Only the first `maxBytes` UTF-16 code units are scanned (a budget for large files). Default 1 MiB. */
  maxBytes?: number;
  /**
   * Lines longer than this are scanned only up to this length, and the result says `truncated`. Default: no
   * limit — whole lines are scanned (a one-line minified JSON is one line), bounded by `maxBytes`. Every
   * pattern is anchored on a literal and has bounded quantifiers, so a long line costs linear time.
   */
  maxLineLength?: number;
}

/** Result of {@link scanTextForSecretsDetailed}: the matches and whether a budget (bytes, line length) cut the scan short. */
export interface ScanTextResult {
  matches: TextSecretMatch[];
  truncated: boolean;
}

/**
 * `key = value` / `key: value` / `export KEY="value"` / `"key": "value"` assignments in config files, `.env`
 * files and shell scripts. The key is group 1, the value group 2 (quotes stripped later).
 */
const ASSIGNMENT_RE =
  /^\s*(?:export\s+)?["']?([A-Za-z_][A-Za-z0-9_.-]{0,127})["']?\s*[:=]\s*(.{1,4096}?)\s*,?\s*$/;

/**
 * `"key": "value"` pairs anywhere in a line (minified JSON holds a whole document on one line, where the anchored
 * assignment pattern sees only one pair). Escaped quotes are allowed inside the value.
 */
const JSON_PAIR_RE = /"([A-Za-z_][A-Za-z0-9_.-]{0,127})"\s*:\s*"((?:[^"\\\n]|\\.){1,4096})"/g;

function unquote(s: string): string {
  const t = s.trim();
  if (t.length >= 2 && (t[0] === '"' || t[0] === "'") && t[t.length - 1] === t[0]) return t.slice(1, -1);
  return t;
}

/** Scan text line by line for credentials, within a byte budget. See {@link scanTextForSecrets}. */
export function scanTextForSecretsDetailed(text: string, opts: ScanTextOptions = {}): ScanTextResult {
  const maxBytes = opts.maxBytes ?? 1024 * 1024;
  const maxLine = opts.maxLineLength ?? Number.POSITIVE_INFINITY;
  let truncated = text.length > maxBytes;
  const body = truncated ? text.slice(0, Math.max(0, maxBytes)) : text;
  const matches: TextSecretMatch[] = [];
  const lines = body.split(/\r\n|\n|\r/);
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i] ?? "";
    if (line.length > maxLine) {
      line = line.slice(0, maxLine);
      truncated = true;
    }
    if (line.trim() === "") continue;
    let found = detectValues(line);
    if (found.length === 0) {
      const m = ASSIGNMENT_RE.exec(line);
      if (m?.[1] !== undefined && m[2] !== undefined) found = detectSecrets(m[1], unquote(m[2]));
    }
    if (found.length === 0 && line.includes('"')) {
      for (const p of line.matchAll(JSON_PAIR_RE))
        if (p[1] !== undefined && p[2] !== undefined) appendAll(found, detectSecrets(p[1], p[2]));
    }
    for (const f of found) matches.push({ line: i + 1, kind: f.kind, redacted: f.redacted });
  }
  return { matches, truncated };
}

/**
 * Scan a text (a config file, a script, an image layer file) for credentials. Returns one entry per credential
 * with its 1-based line. Only the first `maxBytes` are read; use {@link scanTextForSecretsDetailed} to learn
 * whether the budget was hit.
 */
export function scanTextForSecrets(text: string, opts: ScanTextOptions = {}): TextSecretMatch[] {
  return scanTextForSecretsDetailed(text, opts).matches;
}

/** Largest text {@link redactSecretsInText} returns; longer server text is cut (and says so). */
const MAX_REMOTE_TEXT = 2048;

/**
 * Token-shaped runs the value detectors do not anchor on a prefix: HTTP credentials after an auth scheme
 * (RFC 6750 `Bearer`, RFC 7617 `Basic`), `key=value` / `"key": "value"` pairs whose key names a credential, and long
 * random-looking runs (base64/base64url with mixed case and digits, or hex) of the size secrets have. Every
 * quantifier is bounded, so matching stays linear in the text.
 */
const AUTH_SCHEME_RE = /\b(Bearer|Basic|Token|Negotiate)(\s+)([A-Za-z0-9._~+/=-]{6,4096})/gi;
const CREDENTIAL_PAIR_RE =
  /\b((?:access[_-]?|refresh[_-]?|id[_-]?|auth[_-]?|bearer[_-]?)?token|password|passwd|secret|client[_-]?secret|api[_-]?key|access[_-]?key|authorization)("?\s{0,8}[:=]\s{0,8}"?)([^\s"',;&)}\]]{4,4096})/gi;
const LONG_RUN_RE = /[A-Za-z0-9+/_-]{32,8192}={0,2}/g;
const DIGEST_PREFIX_RE = /sha(?:256|384|512):$/i;

/** Shannon entropy in bits per character: random base64 has about 4.5+ at 32 characters, words and paths less. */
function entropy(s: string): number {
  const counts = new Map<string, number>();
  for (const c of s) counts.set(c, (counts.get(c) ?? 0) + 1);
  let h = 0;
  for (const n of counts.values()) {
    const p = n / s.length;
    h -= p * Math.log2(p);
  }
  return h;
}

/** Whether a long run looks like a secret: hex of 32+ digits, or base64-like with upper, lower, digits, high entropy. */
function isSecretRun(run: string): boolean {
  const body = run.replace(/=+$/, "");
  if (/^[0-9a-f]+$/.test(body) || /^[0-9A-F]+$/.test(body))
    return /[0-9]/.test(body) && /[a-fA-F]/.test(body);
  return /[A-Z]/.test(body) && /[a-z]/.test(body) && /[0-9]/.test(body) && entropy(body) >= 4;
}

/**
 * A value that looks like random key material: one token of 20 to 4,096 base64/base64url/hex characters (PEM
 * bodies without their armour included), passing {@link isSecretRun}. Words, identifiers, paths, URLs and
 * anything with spaces are not.
 */
function isHighEntropy(value: string): boolean {
  if (value.length > 8192) return false;
  // A PEM body without its armour spans lines; the lines together are the key.
  const v = value.replace(/[\r\n]+/g, "");
  return v.length >= 20 && v.length <= 4096 && /^[A-Za-z0-9+/_-]+={0,2}$/.test(v) && isSecretRun(v);
}

/**
 * Redact credential-looking strings in text Palisade did not write: a Kubernetes `Status.message`, a registry's
 * error body, a proxy's error page. A reflecting proxy or a misconfigured server may echo the request's
 * `Authorization` header, a service account JWT or an API key into its answer, and that text ends up in coverage,
 * findings and logs. Replaces bearer/basic credentials, JWTs, the issuer-prefixed tokens {@link detectSecrets}
 * knows, `token=`/`password:` values, URL passwords and long random runs (base64 with mixed case and digits, hex of
 * 32+ digits; not `sha256:` digests) with `redact()` output; cuts the text to 2,048 characters. Pure and linear.
 * Use it on anything taken from a server before it is stored or shown.
 */
export function redactSecretsInText(text: string): string {
  // Redact a window longer than the cut by the longest token matched, then cut: a token that straddles the cut
  // is redacted whole instead of leaving its first characters behind.
  let t = text.length > MAX_REMOTE_TEXT + 8192 ? text.slice(0, MAX_REMOTE_TEXT + 8192) : text;
  // Issuer-shaped tokens and JWTs first: they keep their public prefix (AKIA, ghp_), which says what leaked.
  for (const d of VALUE_DETECTORS) {
    d.re.lastIndex = 0;
    t = t.replace(d.re, (m: string, g1: unknown) =>
      typeof g1 === "string" ? m.replace(g1, redact(g1, d.keepPrefix)) : redact(m, d.keepPrefix),
    );
  }
  t = t.replace(AUTH_SCHEME_RE, (m, scheme: string, sp: string, cred: string) =>
    cred.startsWith("****") ? m : `${scheme}${sp}${redact(cred)}`,
  );
  t = t.replace(CREDENTIAL_PAIR_RE, (m, key: string, sep: string, value: string) =>
    value.startsWith("****") || /^(?:Bearer|Basic|Token|Negotiate)$/i.test(value)
      ? m
      : `${key}${sep}${redact(value)}`,
  );
  t = t.replace(LONG_RUN_RE, (run: string, offset: number, whole: string) =>
    isSecretRun(run) && !DIGEST_PREFIX_RE.test(whole.slice(Math.max(0, offset - 8), offset))
      ? redact(run)
      : run,
  );
  return t.length > MAX_REMOTE_TEXT ? `${t.slice(0, MAX_REMOTE_TEXT)}... (cut)` : t;
}
