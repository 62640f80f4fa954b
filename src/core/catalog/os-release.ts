import type { OsInfo } from "../sbom/index.js";
import { decodeUtf8 } from "./text.js";

/** os-release(5) locations, in precedence order: /etc/os-release, then /usr/lib/os-release. */
export const OS_RELEASE_PATHS: readonly string[] = ["etc/os-release", "usr/lib/os-release"];

/**
 * Parse os-release(5): newline-separated `KEY=value` assignments, values optionally in single or double quotes
 * with shell-style backslash escapes; `#` starts a comment line. Returns undefined without an ID.
 */
export function parseOsRelease(data: Uint8Array): OsInfo | undefined {
  const vars = new Map<string, string>();
  for (const raw of decodeUtf8(data).split(/\r?\n/)) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const eq = line.indexOf("=");
    if (eq <= 0) continue;
    const key = line.slice(0, eq);
    if (!/^[A-Z][A-Z0-9_]*$/.test(key)) continue;
    let value = line.slice(eq + 1);
    const q = value[0];
    if ((q === '"' || q === "'") && value.endsWith(q) && value.length >= 2) {
      value = value.slice(1, -1);
      if (q === '"') value = value.replace(/\\(["\\`$])/g, "$1");
    }
    vars.set(key, value);
  }
  const id = vars.get("ID");
  if (!id) return undefined;
  const os: OsInfo = { id: id.toLowerCase() };
  const versionId = vars.get("VERSION_ID");
  if (versionId) os.versionId = versionId;
  const codename = vars.get("VERSION_CODENAME") || vars.get("UBUNTU_CODENAME");
  if (codename) os.codename = codename;
  const pretty = vars.get("PRETTY_NAME");
  if (pretty) os.prettyName = pretty;
  return os;
}
