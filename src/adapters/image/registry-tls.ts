/**
 * TLS for registries whose certificates come from a private CA: extra trusted CA certificates (added to Node's
 * defaults, never replacing them, never disabling verification), and the TLS failures a registry client has to
 * tell apart (a certificate we do not trust, a peer that speaks no TLS at all).
 */
import { X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import { createSecureContext, rootCertificates, type SecureContext } from "node:tls";
import { PalisadeError } from "../../core/errors/index.js";

/** Extra trusted CA certificates: PEM text or buffers, each possibly holding several certificates. */
export type RegistryCa = string | Buffer | (string | Buffer)[];

/** Budgets for a CA file: Mozilla's whole bundle is about 220 KB and 150 certificates. */
export const REGISTRY_CA_LIMITS = { maxBytes: 1024 * 1024, maxCertificates: 1_000 } as const;

const PEM_CERT_RE = /-----BEGIN CERTIFICATE-----\r?\n([\s\S]*?)-----END CERTIFICATE-----/g;

/**
 * The certificates of a PEM text, each validated as X.509. Text outside `BEGIN/END CERTIFICATE` blocks (the
 * comments of a CA bundle) is ignored; a text with no certificate, an invalid block or too many blocks is an
 * INPUT/LIMIT error, with `file` in its context when the text came from a file (else its message starts with
 * "registry CA"). Messages never quote the text.
 */
export function parsePemCertificates(text: string, file?: string): string[] {
  const fail = (code: "INPUT" | "LIMIT", why: string, cause?: unknown): PalisadeError =>
    new PalisadeError(code, file === undefined ? `registry CA: ${why}` : why, {
      ...(cause === undefined ? {} : { cause }),
      ...(file === undefined ? {} : { context: { file } }),
    });
  if (text.length > REGISTRY_CA_LIMITS.maxBytes)
    throw fail("LIMIT", `larger than ${REGISTRY_CA_LIMITS.maxBytes} bytes`);
  const certs: string[] = [];
  for (const m of text.matchAll(PEM_CERT_RE)) {
    if (certs.length >= REGISTRY_CA_LIMITS.maxCertificates)
      throw fail("LIMIT", `more than ${REGISTRY_CA_LIMITS.maxCertificates} certificates`);
    const pem = `${m[0]}\n`;
    try {
      new X509Certificate(pem);
    } catch (e) {
      throw fail("INPUT", `certificate ${certs.length + 1} is not a valid X.509 certificate`, e);
    }
    certs.push(pem);
  }
  if (certs.length === 0) throw fail("INPUT", 'no PEM certificate ("-----BEGIN CERTIFICATE-----") found');
  return certs;
}

/** Normalise a {@link RegistryCa} option into validated PEM certificates (all parts together). */
export function caCertificates(ca: RegistryCa): string[] {
  const parts = Array.isArray(ca) ? ca : [ca];
  return parsePemCertificates(parts.map((p) => (typeof p === "string" ? p : p.toString("utf8"))).join("\n"));
}

/**
 * Read a PEM CA file (one or several certificates), refusing one over the size budget before reading it.
 * Errors carry the file in their context (`describe()` prints `FILE: why`).
 */
export async function loadRegistryCaFile(file: string): Promise<string[]> {
  let text: string;
  try {
    const st = await stat(file);
    if (!st.isFile()) throw new PalisadeError("INPUT", "not a file", { context: { file } });
    if (st.size > REGISTRY_CA_LIMITS.maxBytes)
      throw new PalisadeError("LIMIT", `larger than ${REGISTRY_CA_LIMITS.maxBytes} bytes`, {
        context: { file },
      });
    text = await readFile(file, "utf8");
  } catch (e) {
    if (e instanceof PalisadeError) throw e;
    throw new PalisadeError("IO", `cannot read CA file: ${(e as NodeJS.ErrnoException).code ?? "error"}`, {
      cause: e,
      context: { file },
    });
  }
  return parsePemCertificates(text, file);
}

let extraFromEnv: string[] | undefined;

/**
 * The certificates of NODE_EXTRA_CA_CERTS. Node adds them to its default store, but an explicit `ca` option
 * replaces that whole store (bundled roots and extra certificates alike), so they are read again here to keep
 * working next to `ca`. An unreadable file is skipped: Node has already warned about it at startup.
 */
function nodeExtraCaCerts(): string[] {
  if (extraFromEnv) return extraFromEnv;
  const file = process.env.NODE_EXTRA_CA_CERTS;
  let certs: string[] = [];
  if (file) {
    try {
      const st = readFileSync(file, "utf8");
      certs = parsePemCertificates(st, file);
    } catch {
      certs = [];
    }
  }
  extraFromEnv = certs;
  return certs;
}

/**
 * A TLS context trusting Node's bundled roots, NODE_EXTRA_CA_CERTS and `extra`. Verification stays on: the
 * certificates only add trust anchors. (`--use-openssl-ca`/system stores are not merged: Node 20 has no API to
 * list them.)
 */
export function secureContextWithCa(extra: readonly string[]): SecureContext {
  return createSecureContext({ ca: [...rootCertificates, ...nodeExtraCaCerts(), ...extra] });
}

/** OpenSSL's X509 verification codes and Node's host check, as Node reports them in `err.code`. */
const CERT_ERROR_RE =
  /^(CERT_|UNABLE_TO_(GET_ISSUER|DECRYPT|DECODE|VERIFY)|SELF_SIGNED_CERT|DEPTH_ZERO_SELF_SIGNED|INVALID_CA|PATH_LENGTH|INVALID_PURPOSE|HOSTNAME_MISMATCH|ERR_TLS_CERT_ALTNAME)/;

const errCode = (e: unknown): string =>
  typeof e === "object" && e !== null && typeof (e as { code?: unknown }).code === "string"
    ? (e as { code: string }).code
    : "";

/** Whether a connection error is a failed certificate verification (untrusted, expired, wrong name). */
export function isCertificateError(e: unknown): boolean {
  return CERT_ERROR_RE.test(errCode(e));
}

/**
 * Whether an https attempt failed because the peer answered in plain text (an http server): OpenSSL reads its
 * `HTTP/1.1 400` as a TLS record with a wrong version or an absurd length. Node reports this as EPROTO with
 * OpenSSL's reason in the message, or (through other paths) as ERR_SSL_*; the reason strings are OpenSSL's.
 */
export function isPlainTextPeer(e: unknown): boolean {
  const code = errCode(e);
  if (code === "ERR_SSL_WRONG_VERSION_NUMBER" || code === "ERR_SSL_PACKET_LENGTH_TOO_LONG") return true;
  const msg = e instanceof Error ? e.message : "";
  return code === "EPROTO" && /wrong version number|packet length too long|http request/.test(msg);
}

/** A clear error for a certificate the client does not trust, naming the host and how to trust it. */
export function certificateError(e: unknown, host: string): PalisadeError {
  const reason = e instanceof Error ? e.message : String(e);
  return new PalisadeError(
    "IO",
    `TLS certificate verification failed for ${host}: ${reason} (${errCode(e)}); if the registry uses a private CA, trust it with --registry-ca FILE (the \`ca\` option) or NODE_EXTRA_CA_CERTS`,
    { cause: e, context: { url: `https://${host}` } },
  );
}
