import type { CatalogedPackage } from "./model.js";
import { baseName, decodeUtf8 } from "./text.js";

/** Java archives: jar, war, ear (and Jenkins hpi/jpi plugins, which are jars too). */
export function isJavaArchivePath(path: string): boolean {
  return /\.(?:jar|war|ear|hpi|jpi)$/i.test(path);
}

/** Parse a `.properties` file (java.util.Properties subset: `k=v`, `k: v`, `#`/`!` comments). */
export function parseProperties(data: Uint8Array): Map<string, string> {
  const out = new Map<string, string>();
  for (const raw of decodeUtf8(data).split(/\r?\n/)) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#") || line.startsWith("!")) continue;
    const m = /^([^=:\s]+)\s*[=:\s]\s*(.*)$/.exec(line);
    if (m?.[1] && !out.has(m[1])) out.set(m[1], (m[2] ?? "").trim());
  }
  return out;
}

/**
 * Parse META-INF/MANIFEST.MF main section (JAR File Specification, "Manifest Specification"): `Name: value`
 * lines, continuation lines begin with a single space, sections separated by blank lines.
 */
export function parseJarManifest(data: Uint8Array): Map<string, string> {
  const out = new Map<string, string>();
  let last: string | undefined;
  for (const line of decodeUtf8(data).split(/\r?\n/)) {
    if (line === "") break; // end of main section
    if (line.startsWith(" ") && last !== undefined) {
      out.set(last, `${out.get(last) ?? ""}${line.slice(1)}`);
      continue;
    }
    const colon = line.indexOf(":");
    if (colon <= 0) continue;
    last = line.slice(0, colon).trim();
    if (!out.has(last)) out.set(last, line.slice(colon + 1).trim());
    else last = undefined;
  }
  return out;
}

/** What a Java archive holds, read by the adapter's zip reader. */
export interface JavaArchiveContents {
  /** Location of the archive, `outer.war:WEB-INF/lib/inner.jar` for nested ones. */
  location: string;
  /** Every `META-INF/maven/<group>/<artifact>/pom.properties` in the archive. */
  pomProperties: Uint8Array[];
  manifest?: Uint8Array | undefined;
}

/**
 * Packages of one Java archive. pom.properties (written by Maven into every artifact it builds) is
 * authoritative; an archive carries several when it shades others. Without any, fall back to the manifest
 * (Implementation-Title / Bundle-SymbolicName and their Version), then to the `name-1.2.3.jar` file name.
 */
export function catalogJavaArchive(c: JavaArchiveContents): CatalogedPackage[] {
  const out: CatalogedPackage[] = [];
  const seen = new Set<string>();
  for (const p of c.pomProperties) {
    const props = parseProperties(p);
    const group = props.get("groupId");
    const artifact = props.get("artifactId");
    const version = props.get("version");
    if (!group || !artifact || !version) continue;
    const key = `${group}:${artifact}@${version}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ type: "maven", group, name: artifact, version, locations: [c.location] });
  }
  if (out.length > 0)
    return out.sort((a, b) => ((a.group ?? "") + a.name < (b.group ?? "") + b.name ? -1 : 1));
  if (c.manifest) {
    const m = parseJarManifest(c.manifest);
    const symbolic = m.get("Bundle-SymbolicName")?.split(";")[0]?.trim();
    const name = m.get("Implementation-Title") || symbolic;
    const version =
      m.get("Implementation-Version") || m.get("Bundle-Version") || m.get("Specification-Version");
    if (name && version) {
      const pkg: CatalogedPackage = { type: "maven", name, version, locations: [c.location] };
      const group = m.get("Implementation-Vendor-Id");
      if (group) pkg.group = group;
      return [pkg];
    }
  }
  const file = baseName(c.location.split(":").pop() ?? c.location).replace(/\.[a-z]+$/i, "");
  const fm = /^(.+?)-(\d[\w.+-]*)$/.exec(file);
  if (fm?.[1] && fm[2]) return [{ type: "maven", name: fm[1], version: fm[2], locations: [c.location] }];
  return [];
}
