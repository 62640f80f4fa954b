import { rootCertificates } from "node:tls";
import { describe, expect, it } from "vitest";
import { caCertificates, parsePemCertificates, REGISTRY_CA_LIMITS } from "./registry-tls.js";

// Real certificates without openssl: Node's bundled Mozilla roots, shortest first.
const [a, b] = [...rootCertificates].sort((x, y) => x.length - y.length) as [string, string];
const norm = (pem: string) => `${pem.trim()}\n`;

const failure = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    const err = e as { code: string; message: string; context: unknown };
    return { code: err.code, message: err.message, context: err.context };
  }
  throw new Error("no error");
};

describe("parsePemCertificates", () => {
  it("returns every certificate of a bundle, ignoring the text around them", () => {
    expect(parsePemCertificates(`# bundle\n${a}\nsome comment\n${b}\n`, "ca.pem")).toEqual([
      norm(a),
      norm(b),
    ]);
  });

  it("caCertificates takes strings and buffers, alone or in a list", () => {
    expect(caCertificates(Buffer.from(a))).toEqual([norm(a)]);
    expect(caCertificates([a, Buffer.from(b)])).toEqual([norm(a), norm(b)]);
  });

  describe("pathological cases", () => {
    it("no certificate: INPUT naming the file in the context, not in the message", () => {
      expect(
        failure(() =>
          parsePemCertificates("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", "k.pem"),
        ),
      ).toEqual({
        code: "INPUT",
        message: 'no PEM certificate ("-----BEGIN CERTIFICATE-----") found',
        context: { file: "k.pem" },
      });
      expect(failure(() => parsePemCertificates(""))).toEqual({
        code: "INPUT",
        message: 'registry CA: no PEM certificate ("-----BEGIN CERTIFICATE-----") found',
        context: {},
      });
    });

    it("a block that is not a certificate is INPUT and its content is not quoted", () => {
      const bad = "-----BEGIN CERTIFICATE-----\nU0VDUkVULXZhbHVl\n-----END CERTIFICATE-----\n";
      const f = failure(() => parsePemCertificates(`${a}\n${bad}`, "x.pem"));
      expect(f).toEqual({
        code: "INPUT",
        message: "certificate 2 is not a valid X.509 certificate",
        context: { file: "x.pem" },
      });
    });

    it("over the byte budget, or over the certificate budget: LIMIT", () => {
      expect(
        failure(() => parsePemCertificates("A".repeat(REGISTRY_CA_LIMITS.maxBytes + 1), "big.pem")),
      ).toEqual({
        code: "LIMIT",
        message: `larger than ${REGISTRY_CA_LIMITS.maxBytes} bytes`,
        context: { file: "big.pem" },
      });
      const many = `${a}\n`.repeat(REGISTRY_CA_LIMITS.maxCertificates + 1);
      expect(many.length).toBeLessThanOrEqual(REGISTRY_CA_LIMITS.maxBytes);
      expect(failure(() => parsePemCertificates(many, "many.pem"))).toEqual({
        code: "LIMIT",
        message: `more than ${REGISTRY_CA_LIMITS.maxCertificates} certificates`,
        context: { file: "many.pem" },
      });
    });
  });
});
