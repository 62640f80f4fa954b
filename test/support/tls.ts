import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** Paths of PEM files made by {@link makeTestCerts}. */
export interface TestCerts {
  /** CA that signed the server certificate. */
  ca: string;
  /** A second CA that signed nothing here, for "wrong CA" cases. */
  wrongCa: string;
  /** Server certificate for 127.0.0.1 (SAN IP:127.0.0.1) and its key. */
  cert: string;
  key: string;
}

/** Real TLS for tests: throwaway CAs and a server certificate for 127.0.0.1, made with the openssl CLI. */
export function makeTestCerts(dir: string): TestCerts {
  mkdirSync(dir, { recursive: true });
  const run = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  const ca = (name: string, cn: string) =>
    run(
      "req",
      "-x509",
      ...ec,
      "-keyout",
      `${name}.key`,
      "-out",
      `${name}.crt`,
      "-days",
      "2",
      "-subj",
      `/CN=${cn}`,
    );
  ca("ca", "palisade-test-ca");
  ca("wrong-ca", "palisade-wrong-ca");
  run("req", ...ec, "-keyout", "srv.key", "-out", "srv.csr", "-subj", "/CN=127.0.0.1");
  writeFileSync(join(dir, "ext.cnf"), "subjectAltName=IP:127.0.0.1\n");
  run(
    "x509",
    "-req",
    "-in",
    "srv.csr",
    "-CA",
    "ca.crt",
    "-CAkey",
    "ca.key",
    "-CAcreateserial",
    "-out",
    "srv.crt",
    "-days",
    "2",
    "-extfile",
    "ext.cnf",
  );
  return {
    ca: join(dir, "ca.crt"),
    wrongCa: join(dir, "wrong-ca.crt"),
    cert: join(dir, "srv.crt"),
    key: join(dir, "srv.key"),
  };
}
