import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseRpmHeader } from "./index.js";

/**
 * Differential test: headers written by rpm's own library (Debian's python3-rpm, `hdr.unload()`, the exact
 * bytes rpmdb stores) must parse to the values librpm reads back from them.
 */
const PY = "/usr/bin/python3";
const script = `
import rpm, json, random, base64, sys
random.seed(int(sys.argv[1]))
out = []
alpha = "abcdefghijklmnopqrstuvwxyz0123456789+._~^"
for i in range(300):
    h = rpm.hdr()
    name = "p" + "".join(random.choice("abcxyz-_+.0123456789") for _ in range(random.randint(1, 20)))
    h[rpm.RPMTAG_NAME] = name
    h[rpm.RPMTAG_VERSION] = "".join(random.choice(alpha) for _ in range(random.randint(1, 12)))
    h[rpm.RPMTAG_RELEASE] = "".join(random.choice(alpha) for _ in range(random.randint(1, 12)))
    if random.random() < 0.5: h[rpm.RPMTAG_EPOCH] = random.randint(0, 2**31)
    if random.random() < 0.8: h[rpm.RPMTAG_ARCH] = random.choice(["x86_64", "noarch", "aarch64", "i686"])
    if random.random() < 0.8: h[rpm.RPMTAG_SOURCERPM] = name + "-1-1.src.rpm"
    if random.random() < 0.8: h[rpm.RPMTAG_LICENSE] = random.choice(["MIT", "GPLv2+ and LGPLv2+", "ASL 2.0"])
    if random.random() < 0.5: h[rpm.RPMTAG_SUMMARY] = "s" * random.randint(0, 300)
    if random.random() < 0.5: h[rpm.RPMTAG_DIRNAMES] = ["/usr/", "/etc/"]
    b = h.unload()
    h2 = rpm.hdr(b)
    exp = {"name": h2[rpm.RPMTAG_NAME], "version": h2[rpm.RPMTAG_VERSION], "release": h2[rpm.RPMTAG_RELEASE]}
    for k, t in (("epoch", rpm.RPMTAG_EPOCH), ("arch", rpm.RPMTAG_ARCH), ("sourceRpm", rpm.RPMTAG_SOURCERPM), ("license", rpm.RPMTAG_LICENSE)):
        v = h2[t]
        if v is not None and v != "" and v != b"": exp[k] = v.decode() if isinstance(v, bytes) else v
    for k in ("name", "version", "release"):
        if isinstance(exp[k], bytes): exp[k] = exp[k].decode()
    out.append({"blob": base64.b64encode(b).decode(), "expected": exp})
print(json.dumps(out))
`;

function hasPythonRpm(): boolean {
  if (!existsSync(PY)) return false;
  try {
    execFileSync(PY, ["-c", "import rpm"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

describe.skipIf(!hasPythonRpm())("rpm header parser vs librpm (python3-rpm)", () => {
  it("agrees on 900 generated headers", () => {
    for (const seed of [1, 2, 3]) {
      const cases = JSON.parse(
        execFileSync(PY, ["-c", script, String(seed)], { maxBuffer: 64 << 20 }).toString(),
      ) as {
        blob: string;
        expected: Record<string, unknown>;
      }[];
      expect(cases.length).toBe(300);
      for (const c of cases) {
        const got = parseRpmHeader(new Uint8Array(Buffer.from(c.blob, "base64")));
        expect(JSON.parse(JSON.stringify(got))).toEqual(c.expected);
      }
    }
  });
});
