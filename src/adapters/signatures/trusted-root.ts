/**
 * A Sigstore TrustedRoot document (`trusted_root.json`, media type `application/vnd.dev.sigstore.trustedroot+json`,
 * the protobuf-specs JSON form that `cosign trusted-root create` and the sigstore TUF repository ship), parsed and
 * checked field by field into the shape `@sigstore/verify`'s `toTrustMaterial` takes. Every problem names the file
 * and the field; nothing is fetched.
 */
import { PalisadeError } from "../../core/errors/index.js";
import { isRecord } from "../../core/util/index.js";

/** The TrustedRoot message as protobuf-specs' `fromJSON` would give it (bytes as Buffers, times as Dates). */
export interface ParsedTrustedRoot {
  mediaType: string;
  certificateAuthorities: ParsedCertificateAuthority[];
  timestampAuthorities: ParsedCertificateAuthority[];
  tlogs: ParsedLogInstance[];
  ctlogs: ParsedLogInstance[];
}

interface TimeRange {
  start: Date;
  end?: Date | undefined;
}

interface ParsedCertificateAuthority {
  uri: string;
  certChain: { certificates: { rawBytes: Buffer }[] };
  validFor?: TimeRange | undefined;
  operator: string;
}

interface ParsedLogInstance {
  baseUrl: string;
  hashAlgorithm: number;
  publicKey: { rawBytes: Buffer; keyDetails: number; validFor?: TimeRange | undefined };
  logId: { keyId: Buffer };
  checkpointKeyId?: { keyId: Buffer } | undefined;
  operator: string;
}

const MEDIA_TYPE =
  /^application\/vnd\.dev\.sigstore\.trustedroot(?:\.v\d+\.\d+)?\+json(?:;version=\d+\.\d+)?$/;

/**
 * protobuf-specs `PublicKeyDetails` numbers. `toTrustMaterial` reads only whether a log key is RSA PKCS#1 (then it
 * imports the raw bytes as `pkcs1`, else as SPKI), so only those names need their number; any other name is 0.
 */
const PKCS1_KEY_DETAILS: Readonly<Record<string, number>> = {
  PKCS1_RSA_PKCS1V5: 1,
  PKIX_RSA_PKCS1V5: 3,
  PKIX_RSA_PKCS1V15_2048_SHA256: 9,
  PKIX_RSA_PKCS1V15_3072_SHA256: 10,
  PKIX_RSA_PKCS1V15_4096_SHA256: 11,
};
const HASH_ALGORITHMS: Readonly<Record<string, number>> = {
  SHA2_256: 1,
  SHA2_384: 2,
  SHA2_512: 3,
  SHA3_256: 4,
};

/** Parse a TrustedRoot document; throws an INPUT error naming `file` and the field. */
export function parseTrustedRoot(text: string, file: string): ParsedTrustedRoot {
  const fail = (field: string, message: string): never => {
    throw new PalisadeError("INPUT", `trusted root ${field}: ${message}`, { context: { file } });
  };
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    return fail("(document)", `not JSON: ${(e as Error).message}`);
  }
  if (!isRecord(doc)) return fail("(document)", "expected an object");
  if (typeof doc.mediaType !== "string" || !MEDIA_TYPE.test(doc.mediaType))
    fail(
      "mediaType",
      `expected application/vnd.dev.sigstore.trustedroot+json, got ${JSON.stringify(doc.mediaType)}`,
    );

  const bytes = (v: unknown, field: string): Buffer => {
    // protobuf JSON bytes: standard or URL-safe base64, padding optional.
    if (typeof v !== "string" || v === "" || !/^[A-Za-z0-9+/_-]+={0,2}$/.test(v))
      return fail(field, "expected base64 bytes");
    return Buffer.from(v, "base64");
  };
  const time = (v: unknown, field: string): Date => {
    const d = typeof v === "string" ? new Date(v) : undefined;
    if (d === undefined || Number.isNaN(d.getTime())) return fail(field, "expected an RFC 3339 time");
    return d;
  };
  const range = (v: unknown, field: string): TimeRange | undefined => {
    if (v === undefined) return undefined;
    if (!isRecord(v)) return fail(field, "expected {start, end}");
    return {
      start: time(v.start, `${field}.start`),
      ...(v.end === undefined ? {} : { end: time(v.end, `${field}.end`) }),
    };
  };
  const list = (v: unknown, field: string): unknown[] => {
    if (v === undefined) return [];
    if (!Array.isArray(v)) return fail(field, "expected a list");
    return v;
  };
  const authority = (v: unknown, field: string): ParsedCertificateAuthority => {
    if (!isRecord(v)) return fail(field, "expected an object");
    const chain = isRecord(v.certChain) ? v.certChain.certificates : undefined;
    const certs = list(chain, `${field}.certChain.certificates`);
    if (certs.length === 0) fail(`${field}.certChain.certificates`, "expected at least one certificate");
    return {
      uri: typeof v.uri === "string" ? v.uri : "",
      certChain: {
        certificates: certs.map((c, i) => ({
          rawBytes: bytes(
            isRecord(c) ? c.rawBytes : undefined,
            `${field}.certChain.certificates[${i}].rawBytes`,
          ),
        })),
      },
      validFor: range(v.validFor, `${field}.validFor`),
      operator: typeof v.operator === "string" ? v.operator : "",
    };
  };
  const log = (v: unknown, field: string): ParsedLogInstance => {
    if (!isRecord(v)) return fail(field, "expected an object");
    if (!isRecord(v.publicKey)) return fail(`${field}.publicKey`, "is required");
    if (!isRecord(v.logId)) return fail(`${field}.logId`, "is required");
    const keyDetails = v.publicKey.keyDetails;
    return {
      baseUrl: typeof v.baseUrl === "string" ? v.baseUrl : "",
      hashAlgorithm: (typeof v.hashAlgorithm === "string" && HASH_ALGORITHMS[v.hashAlgorithm]) || 0,
      publicKey: {
        rawBytes: bytes(v.publicKey.rawBytes, `${field}.publicKey.rawBytes`),
        keyDetails: (typeof keyDetails === "string" && PKCS1_KEY_DETAILS[keyDetails]) || 0,
        validFor: range(v.publicKey.validFor, `${field}.publicKey.validFor`),
      },
      logId: { keyId: bytes(v.logId.keyId, `${field}.logId.keyId`) },
      ...(isRecord(v.checkpointKeyId)
        ? { checkpointKeyId: { keyId: bytes(v.checkpointKeyId.keyId, `${field}.checkpointKeyId.keyId`) } }
        : {}),
      operator: typeof v.operator === "string" ? v.operator : "",
    };
  };
  return {
    mediaType: doc.mediaType as string,
    certificateAuthorities: list(doc.certificateAuthorities, "certificateAuthorities").map((a, i) =>
      authority(a, `certificateAuthorities[${i}]`),
    ),
    timestampAuthorities: list(doc.timestampAuthorities, "timestampAuthorities").map((a, i) =>
      authority(a, `timestampAuthorities[${i}]`),
    ),
    tlogs: list(doc.tlogs, "tlogs").map((l, i) => log(l, `tlogs[${i}]`)),
    ctlogs: list(doc.ctlogs, "ctlogs").map((l, i) => log(l, `ctlogs[${i}]`)),
  };
}
