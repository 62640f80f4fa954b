/**
 * A Sigstore-like public good instance made in the test, with real crypto (node:crypto, ECDSA P-256): a Fulcio-like
 * CA (root + intermediate) issuing short-lived leaf certificates with the Fulcio OIDC issuer extensions and an email
 * or URI SAN, a CT log whose SCTs are embedded in the leaf (RFC 6962 precertificate signing), and a Rekor-style
 * transparency log whose entries carry a signed entry timestamp and an RFC 6962 inclusion proof under a signed
 * checkpoint. `signImage` makes the Sigstore bundle (v0.3, DSSE over cosign's simple-signing payload) that
 * `cosign sign --bundle` would write; `trustedRoot` is the TrustedRoot JSON naming this instance.
 *
 * The certificates are written with a small DER encoder below: node:crypto can sign but not build X.509.
 */
import { createHash, createPublicKey, generateKeyPairSync, type KeyObject, sign } from "node:crypto";

// ---- DER ----------------------------------------------------------------------------------------------------
const derLength = (n: number): Buffer => {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  bytes.unshift(0x80 | bytes.length);
  return Buffer.from(bytes);
};
const tlv = (tag: number, parts: readonly Buffer[]): Buffer => {
  const body = Buffer.concat(parts);
  return Buffer.concat([Buffer.from([tag]), derLength(body.length), body]);
};
const seq = (...parts: Buffer[]) => tlv(0x30, parts);
const set = (...parts: Buffer[]) => tlv(0x31, parts);
const octets = (b: Buffer) => tlv(0x04, [b]);
const utf8 = (s: string) => tlv(0x0c, [Buffer.from(s, "utf8")]);
const bool = (v: boolean) => tlv(0x01, [Buffer.from([v ? 0xff : 0x00])]);
const explicit = (n: number, inner: Buffer) => tlv(0xa0 | n, [inner]);
const bitString = (b: Buffer, unused = 0) => tlv(0x03, [Buffer.from([unused]), b]);
function integer(v: bigint): Buffer {
  let hex = v.toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  let b = Buffer.from(hex, "hex");
  if ((b[0] ?? 0) & 0x80) b = Buffer.concat([Buffer.from([0]), b]);
  return tlv(0x02, [b]);
}
function oid(dotted: string): Buffer {
  const [a = 0, b = 0, ...rest] = dotted.split(".").map(Number);
  const out = [40 * a + b];
  for (const n of rest) {
    const groups: number[] = [n & 0x7f];
    for (let v = Math.floor(n / 128); v > 0; v = Math.floor(v / 128)) groups.unshift(0x80 | (v & 0x7f));
    for (const g of groups) out.push(g);
  }
  return tlv(0x06, [Buffer.from(out)]);
}
/** UTCTime before 2050, GeneralizedTime after (RFC 5280 4.1.2.5). */
function time(d: Date): Buffer {
  const iso = d.toISOString().replace(/[-:T]/g, "").slice(0, 14);
  return d.getUTCFullYear() < 2050
    ? tlv(0x17, [Buffer.from(`${iso.slice(2)}Z`)])
    : tlv(0x18, [Buffer.from(`${iso}Z`)]);
}
const name = (cn: string) =>
  seq(set(seq(oid("2.5.4.10"), utf8("palisade-test")), seq(oid("2.5.4.3"), utf8(cn))));
const ecdsaSha256 = seq(oid("1.2.840.10045.4.3.2"));
const extension = (id: string, critical: boolean, value: Buffer) =>
  critical ? seq(oid(id), bool(true), octets(value)) : seq(oid(id), octets(value));

// ---- keys and certificates ---------------------------------------------------------------------------------------
const spki = (k: KeyObject): Buffer => k.export({ type: "spki", format: "der" });
const keyId = (k: KeyObject): Buffer => createHash("sha1").update(spki(k)).digest();
const sha256 = (...b: Buffer[]): Buffer => {
  const h = createHash("sha256");
  for (const x of b) h.update(x);
  return h.digest();
};
const newKey = () => generateKeyPairSync("ec", { namedCurve: "P-256" });

export interface KeyPair {
  publicKey: KeyObject;
  privateKey: KeyObject;
}

interface CertSpec {
  serial: bigint;
  issuer: Buffer;
  subject: Buffer;
  notBefore: Date;
  notAfter: Date;
  key: KeyObject;
  extensions: Buffer[];
}
const tbsOf = (c: CertSpec): Buffer =>
  seq(
    explicit(0, integer(2n)),
    integer(c.serial),
    ecdsaSha256,
    c.issuer,
    seq(time(c.notBefore), time(c.notAfter)),
    c.subject,
    spki(c.key),
    explicit(3, seq(...c.extensions)),
  );
const certOf = (tbs: Buffer, signer: KeyObject): Buffer =>
  seq(tbs, ecdsaSha256, bitString(sign("sha256", tbs, signer)));

export interface CertificateAuthority {
  root: Buffer;
  intermediate: Buffer;
  intermediateKey: KeyPair;
  intermediateName: Buffer;
  notBefore: Date;
}

/** A Fulcio-like CA: a self-signed root and an intermediate it signed (DER), ten years from `notBefore`. */
export function makeCertificateAuthority(label: string, notBefore: Date): CertificateAuthority {
  const rootKey = newKey();
  const intermediateKey = newKey();
  const notAfter = new Date(notBefore.getTime() + 10 * 365 * 86_400_000);
  const rootName = name(`${label} root`);
  const intermediateName = name(`${label} intermediate`);
  const caExtensions = (k: KeyObject, issuerKey: KeyObject, pathLen?: bigint) => [
    // keyCertSign (bit 5) and cRLSign (bit 6): 0b0000011 with one unused bit.
    extension("2.5.29.15", true, bitString(Buffer.from([0x06]), 1)),
    extension("2.5.29.19", true, pathLen === undefined ? seq(bool(true)) : seq(bool(true), integer(pathLen))),
    extension("2.5.29.14", false, octets(keyId(k))),
    extension("2.5.29.35", false, seq(tlv(0x80, [keyId(issuerKey)]))),
  ];
  const root = certOf(
    tbsOf({
      serial: 1n,
      issuer: rootName,
      subject: rootName,
      notBefore,
      notAfter,
      key: rootKey.publicKey,
      extensions: caExtensions(rootKey.publicKey, rootKey.publicKey, 1n),
    }),
    rootKey.privateKey,
  );
  const intermediate = certOf(
    tbsOf({
      serial: 2n,
      issuer: rootName,
      subject: intermediateName,
      notBefore,
      notAfter,
      key: intermediateKey.publicKey,
      extensions: caExtensions(intermediateKey.publicKey, rootKey.publicKey, 0n),
    }),
    rootKey.privateKey,
  );
  return { root, intermediate, intermediateKey, intermediateName, notBefore };
}

/** A log key (CT or transparency log) and its RFC 6962 log id: SHA-256 of the public key's SPKI DER. */
export interface LogKey extends KeyPair {
  logId: Buffer;
}
export function makeLogKey(): LogKey {
  const k = newKey();
  return { ...k, logId: sha256(spki(k.publicKey)) };
}

export interface LeafSpec {
  /** The SAN: an email address (rfc822Name) or a URI. */
  subject: { email: string } | { uri: string };
  /** The OIDC issuer, written in the v2 extension (1.3.6.1.4.1.57264.1.8) and, unless `legacyOnly`, the v1 (.1.1). */
  issuer: string;
  /** Only the deprecated v1 issuer extension, as Fulcio before 2023 wrote it. */
  legacyOnly?: boolean;
  notBefore: Date;
  notAfter: Date;
  serial: bigint;
}

/**
 * A short-lived code-signing leaf for `key`, issued by the CA's intermediate, with an SCT from `ctLog` embedded as
 * RFC 6962 says: the SCT signs the certificate's TBS without the SCT extension, with the issuer's key hash.
 */
export function issueLeaf(ca: CertificateAuthority, ctLog: LogKey, key: KeyObject, spec: LeafSpec): Buffer {
  const san =
    "email" in spec.subject
      ? tlv(0x81, [Buffer.from(spec.subject.email)])
      : tlv(0x86, [Buffer.from(spec.subject.uri)]);
  const extensions = [
    extension("2.5.29.15", true, bitString(Buffer.from([0x80]), 7)), // digitalSignature
    extension("2.5.29.37", false, seq(oid("1.3.6.1.5.5.7.3.3"))), // codeSigning
    extension("2.5.29.14", false, octets(keyId(key))),
    extension("2.5.29.35", false, seq(tlv(0x80, [keyId(ca.intermediateKey.publicKey)]))),
    extension("2.5.29.17", true, seq(san)),
    extension("1.3.6.1.4.1.57264.1.1", false, Buffer.from(spec.issuer)),
    ...(spec.legacyOnly ? [] : [extension("1.3.6.1.4.1.57264.1.8", false, utf8(spec.issuer))]),
  ];
  const base: CertSpec = {
    serial: spec.serial,
    issuer: ca.intermediateName,
    subject: seq(),
    notBefore: spec.notBefore,
    notAfter: spec.notAfter,
    key,
    extensions,
  };
  const precertTbs = tbsOf(base);
  const timestamp = Buffer.alloc(8);
  timestamp.writeBigUInt64BE(BigInt(spec.notBefore.getTime()));
  const tbsLength = Buffer.alloc(3);
  tbsLength.writeUIntBE(precertTbs.length, 0, 3);
  // digitally-signed struct: version v1(0), certificate_timestamp(0), timestamp, precert_entry(1),
  // issuer_key_hash, TBS (uint24 length), no extensions.
  const signed = Buffer.concat([
    Buffer.from([0, 0]),
    timestamp,
    Buffer.from([0, 1]),
    sha256(spki(ca.intermediateKey.publicKey)),
    tbsLength,
    precertTbs,
    Buffer.from([0, 0]),
  ]);
  const sig = sign("sha256", signed, ctLog.privateKey);
  const sct = Buffer.concat([
    Buffer.from([0]),
    ctLog.logId,
    timestamp,
    Buffer.from([0, 0]), // extensions length
    Buffer.from([4, 3]), // sha256, ecdsa
    u16(sig.length),
    sig,
  ]);
  const list = Buffer.concat([u16(sct.length + 2), u16(sct.length), sct]);
  const tbs = tbsOf({
    ...base,
    extensions: [...extensions, extension("1.3.6.1.4.1.11129.2.4.2", false, octets(list))],
  });
  return certOf(tbs, ca.intermediateKey.privateKey);
}
function u16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
}

// ---- a Rekor-style transparency log ---------------------------------------------------------------------------------
const leafHash = (b: Buffer) => sha256(Buffer.from([0]), b);
const nodeHash = (l: Buffer, r: Buffer) => sha256(Buffer.from([1]), l, r);
/** RFC 6962 MTH over leaf hashes. */
function treeHash(leaves: readonly Buffer[]): Buffer {
  if (leaves.length === 1) return leaves[0] as Buffer;
  const k = largestPowerOfTwoBelow(leaves.length);
  return nodeHash(treeHash(leaves.slice(0, k)), treeHash(leaves.slice(k)));
}
/** RFC 6962 PATH(m, D[n]): the audit path, lowest level first. */
function auditPath(m: number, leaves: readonly Buffer[]): Buffer[] {
  if (leaves.length <= 1) return [];
  const k = largestPowerOfTwoBelow(leaves.length);
  return m < k
    ? [...auditPath(m, leaves.slice(0, k)), treeHash(leaves.slice(k))]
    : [...auditPath(m - k, leaves.slice(k)), treeHash(leaves.slice(0, k))];
}
function largestPowerOfTwoBelow(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}
/** JSON with sorted keys and no spaces (RFC 8785 for the plain values used here). */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
  if (v !== null && typeof v === "object")
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(",")}}`;
  return JSON.stringify(v);
}

export class TransparencyLog {
  readonly key = makeLogKey();
  private readonly leaves: Buffer[] = [];
  constructor(readonly origin = "rekor.palisade.test") {}

  /**
   * Append a dsse v0.0.1 entry for the envelope's signature and payload; the bundle's tlog entry with its signed
   * entry timestamp (over the canonical {body, integratedTime, logIndex, logID}) and an inclusion proof under a
   * checkpoint signed as a note by the same key.
   */
  append(envelope: { payload: Buffer; signature: Buffer; certificate: Buffer }, integratedTime: Date) {
    return this.appendBody(this.dsseBody(envelope), integratedTime);
  }

  /**
   * Append a hashedrekord v0.0.1 entry (what `cosign sign` logs for a `.sig` signature: the payload's SHA-256, the
   * signature over it, the certificate) and return it as cosign's `dev.sigstore.cosign/bundle` annotation holds it:
   * `{SignedEntryTimestamp, Payload: {body, integratedTime, logIndex, logID}}`.
   */
  appendHashedRekord(
    signed: { payload: Buffer; signature: Buffer; certificate: Buffer },
    integratedTime: Date,
  ): string {
    const body = Buffer.from(
      canonical({
        apiVersion: "0.0.1",
        kind: "hashedrekord",
        spec: {
          data: { hash: { algorithm: "sha256", value: sha256(signed.payload).toString("hex") } },
          signature: {
            content: signed.signature.toString("base64"),
            publicKey: { content: Buffer.from(pem(signed.certificate)).toString("base64") },
          },
        },
      }),
    );
    const entry = this.appendBody(body, integratedTime);
    return JSON.stringify({
      SignedEntryTimestamp: entry.inclusionPromise.signedEntryTimestamp,
      Payload: {
        body: entry.canonicalizedBody,
        integratedTime: Number(entry.integratedTime),
        logIndex: Number(entry.logIndex),
        logID: this.key.logId.toString("hex"),
      },
    });
  }

  private dsseBody(envelope: { payload: Buffer; signature: Buffer; certificate: Buffer }): Buffer {
    return Buffer.from(
      canonical({
        apiVersion: "0.0.1",
        kind: "dsse",
        spec: {
          envelopeHash: {
            algorithm: "sha256",
            value: sha256(envelope.payload, envelope.signature).toString("hex"),
          },
          payloadHash: { algorithm: "sha256", value: sha256(envelope.payload).toString("hex") },
          signatures: [
            {
              signature: envelope.signature.toString("base64"),
              verifier: Buffer.from(pem(envelope.certificate)).toString("base64"),
            },
          ],
        },
      }),
    );
  }

  private appendBody(body: Buffer, integratedTime: Date) {
    const kind = (JSON.parse(body.toString("utf8")) as { kind: string }).kind;
    const logIndex = this.leaves.length;
    this.leaves.push(leafHash(body));
    const seconds = Math.floor(integratedTime.getTime() / 1000);
    const set = sign(
      "sha256",
      Buffer.from(
        canonical({
          body: body.toString("base64"),
          integratedTime: seconds,
          logID: this.key.logId.toString("hex"),
          logIndex,
        }),
      ),
      this.key.privateKey,
    );
    const size = this.leaves.length;
    const root = treeHash(this.leaves);
    const note = `${this.origin}\n${size}\n${root.toString("base64")}\n`;
    const noteSig = Buffer.concat([
      this.key.logId.subarray(0, 4),
      sign("sha256", Buffer.from(note), this.key.privateKey),
    ]);
    return {
      logIndex: String(logIndex),
      logId: { keyId: this.key.logId.toString("base64") },
      kindVersion: { kind, version: "0.0.1" },
      integratedTime: String(seconds),
      inclusionPromise: { signedEntryTimestamp: set.toString("base64") },
      inclusionProof: {
        logIndex: String(logIndex),
        rootHash: root.toString("base64"),
        treeSize: String(size),
        hashes: auditPath(logIndex, this.leaves).map((h) => h.toString("base64")),
        checkpoint: { envelope: `${note}\n\u2014 ${this.origin} ${noteSig.toString("base64")}\n` },
      },
      canonicalizedBody: body.toString("base64"),
    };
  }
}

export const pem = (der: Buffer): string =>
  `-----BEGIN CERTIFICATE-----\n${der
    .toString("base64")
    .replace(/(.{64})/g, "$1\n")
    .replace(/\n$/, "")}\n-----END CERTIFICATE-----\n`;

// ---- the instance: CA, CT log, transparency log -------------------------------------------------------------------
export const COSIGN_SIMPLE_SIGNING = "application/vnd.dev.cosign.simplesigning.v1+json";

/** cosign's simple-signing payload for an image digest. */
export function simpleSigningPayload(reference: string, digest: string): Buffer {
  return Buffer.from(
    JSON.stringify({
      critical: {
        identity: { "docker-reference": reference },
        image: { "docker-manifest-digest": digest },
        type: "cosign container image signature",
      },
      optional: null,
    }),
  );
}

export interface SignOptions {
  subject: LeafSpec["subject"];
  issuer: string;
  legacyOnly?: boolean;
  /** When the certificate was issued; it is valid ten minutes, as Fulcio's are. */
  issuedAt: Date;
  /** When the transparency log says the signature was made (default: a minute after issuance). */
  loggedAt?: Date;
  /** Sign with this CA instead of the instance's own (a certificate from another CA). */
  ca?: CertificateAuthority;
  /** Replace the payload after signing (a tampered payload). */
  tamper?: (payload: Buffer) => Buffer;
}

export class SigstoreInstance {
  readonly ca: CertificateAuthority;
  readonly ctLog = makeLogKey();
  readonly tlog = new TransparencyLog();
  private serial = 100n;

  constructor(readonly notBefore: Date) {
    this.ca = makeCertificateAuthority("palisade-test fulcio", notBefore);
  }

  /** A Sigstore bundle (v0.3 JSON) signing the image digest with an ephemeral key and a certificate for it. */
  signImage(reference: string, digest: string, o: SignOptions): string {
    const ephemeral = newKey();
    const leaf = issueLeaf(o.ca ?? this.ca, this.ctLog, ephemeral.publicKey, {
      subject: o.subject,
      issuer: o.issuer,
      ...(o.legacyOnly ? { legacyOnly: true } : {}),
      notBefore: o.issuedAt,
      notAfter: new Date(o.issuedAt.getTime() + 10 * 60_000),
      serial: this.serial++,
    });
    const payload = simpleSigningPayload(reference, digest);
    const pae = Buffer.concat([
      Buffer.from(`DSSEv1 ${COSIGN_SIMPLE_SIGNING.length} ${COSIGN_SIMPLE_SIGNING} ${payload.length} `),
      payload,
    ]);
    const signature = sign("sha256", pae, ephemeral.privateKey);
    const entry = this.tlog.append(
      { payload, signature, certificate: leaf },
      o.loggedAt ?? new Date(o.issuedAt.getTime() + 60_000),
    );
    const shipped = o.tamper ? o.tamper(payload) : payload;
    return JSON.stringify({
      mediaType: "application/vnd.dev.sigstore.bundle.v0.3+json",
      verificationMaterial: {
        certificate: { rawBytes: leaf.toString("base64") },
        tlogEntries: [entry],
        timestampVerificationData: { rfc3161Timestamps: [] },
      },
      dsseEnvelope: {
        payload: shipped.toString("base64"),
        payloadType: COSIGN_SIMPLE_SIGNING,
        signatures: [{ sig: signature.toString("base64"), keyid: "" }],
      },
    });
  }

  /**
   * A keyless signature as cosign's `.sig` tag stores it: the simple-signing payload (a layer blob) and the layer's
   * annotations: the signature over the payload, the leaf certificate and chain (PEM), and the Rekor bundle of a
   * hashedrekord entry. `payloadDigest` signs another digest than the one named (a signature for another image).
   */
  cosignSignature(
    reference: string,
    digest: string,
    o: SignOptions & { payloadDigest?: string },
  ): { payload: Buffer; annotations: Record<string, string> } {
    const ephemeral = newKey();
    const ca = o.ca ?? this.ca;
    const leaf = issueLeaf(ca, this.ctLog, ephemeral.publicKey, {
      subject: o.subject,
      issuer: o.issuer,
      notBefore: o.issuedAt,
      notAfter: new Date(o.issuedAt.getTime() + 10 * 60_000),
      serial: this.serial++,
    });
    const payload = simpleSigningPayload(reference, o.payloadDigest ?? digest);
    const signature = sign("sha256", payload, ephemeral.privateKey);
    const bundle = this.tlog.appendHashedRekord(
      { payload, signature, certificate: leaf },
      o.loggedAt ?? new Date(o.issuedAt.getTime() + 60_000),
    );
    return {
      payload: o.tamper ? o.tamper(payload) : payload,
      annotations: {
        "dev.cosignproject.cosign/signature": signature.toString("base64"),
        "dev.sigstore.cosign/certificate": pem(leaf),
        "dev.sigstore.cosign/chain": `${pem(ca.intermediate)}${pem(ca.root)}`,
        "dev.sigstore.cosign/bundle": bundle,
      },
    };
  }

  /** The TrustedRoot JSON naming this instance's CA chain, transparency log and CT log. */
  trustedRoot(): string {
    const start = this.notBefore.toISOString();
    const log = (k: LogKey, baseUrl: string) => ({
      baseUrl,
      hashAlgorithm: "SHA2_256",
      publicKey: {
        rawBytes: spki(k.publicKey).toString("base64"),
        keyDetails: "PKIX_ECDSA_P256_SHA_256",
        validFor: { start },
      },
      logId: { keyId: k.logId.toString("base64") },
    });
    return JSON.stringify(
      {
        mediaType: "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
        tlogs: [log(this.tlog.key, `https://${this.tlog.origin}`)],
        certificateAuthorities: [
          {
            subject: { organization: "palisade-test", commonName: "palisade-test fulcio" },
            uri: "https://fulcio.palisade.test",
            certChain: {
              certificates: [
                { rawBytes: this.ca.intermediate.toString("base64") },
                { rawBytes: this.ca.root.toString("base64") },
              ],
            },
            validFor: { start },
          },
        ],
        ctlogs: [log(this.ctLog, "https://ctfe.palisade.test")],
        timestampAuthorities: [],
      },
      null,
      2,
    );
  }
}

/** The public key of a certificate (for tests that compare). */
export const certificateKey = (der: Buffer): KeyObject => createPublicKey({ key: pem(der), format: "pem" });

/** A signature made with a key, as `cosign sign --key` stores it in the `.sig` tag (no certificate, no log). */
export function cosignKeySignature(
  privateKey: KeyObject,
  reference: string,
  digest: string,
): { payload: Buffer; annotations: Record<string, string> } {
  const payload = simpleSigningPayload(reference, digest);
  return {
    payload,
    annotations: {
      "dev.cosignproject.cosign/signature": sign("sha256", payload, privateKey).toString("base64"),
    },
  };
}
