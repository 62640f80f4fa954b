/**
 * CycloneDX 1.6 JSON out (https://cyclonedx.org/docs/1.6/json/) and CycloneDX JSON/XML in. Output is
 * deterministic: components sorted, serialNumber derived from the content hash, timestamp from the injected clock.
 * Palisade-specific package facts travel as `palisade:*` properties so Sbom -> CycloneDX -> Sbom round-trips.
 */
import { PalisadeError } from "../errors/index.js";
import { cmp, stableHash } from "../findings/index.js";
import { isRecord } from "../util/index.js";
import type { OsInfo, Package, Sbom } from "./model.js";
import { packageTypeOfPurl, parsePurl } from "./purl.js";
import { child, localName, parseXml, type XmlElement } from "./xml.js";

export interface SbomWriteOptions {
  /** Injected clock for the document timestamp. */
  now: Date;
  toolVersion?: string | undefined;
}

const P = "palisade:";

/** A UUID-shaped string from a content hash (RFC 4122 layout, version nibble 4 / variant 8 for validators). */
export function uuidFromHash(hex32: string): string {
  const h = hex32.padEnd(32, "0").slice(0, 32);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export function comparePackages(a: Package, b: Package): number {
  return (
    cmp(a.purl, b.purl) ||
    cmp(a.name, b.name) ||
    cmp(a.version, b.version) ||
    cmp(a.locations.join("\n"), b.locations.join("\n"))
  );
}

function props(p: Package): { name: string; value: string }[] {
  const out: { name: string; value: string }[] = [{ name: `${P}type`, value: p.type }];
  if (p.sourceName) out.push({ name: `${P}sourceName`, value: p.sourceName });
  if (p.sourceVersion) out.push({ name: `${P}sourceVersion`, value: p.sourceVersion });
  if (p.arch) out.push({ name: `${P}arch`, value: p.arch });
  if (p.layerDiffId) out.push({ name: `${P}layerDiffId`, value: p.layerDiffId });
  if (p.layerIndex !== undefined) out.push({ name: `${P}layerIndex`, value: String(p.layerIndex) });
  for (const l of p.locations) out.push({ name: `${P}location`, value: l });
  if (p.line !== undefined) out.push({ name: `${P}line`, value: String(p.line) });
  if (p.indirect) out.push({ name: `${P}indirect`, value: "true" });
  return out;
}

/** Sbom -> CycloneDX 1.6 JSON document. */
export function toCycloneDx(sbom: Sbom, opts: SbomWriteOptions): Record<string, unknown> {
  const pkgs = [...sbom.packages].sort(comparePackages);
  const refs = new Map<Package, string>();
  const used = new Set<string>();
  for (const p of pkgs) {
    let ref = p.purl || `${p.type}:${p.name}@${p.version}`;
    for (let i = 2; used.has(ref); i++) ref = `${p.purl || `${p.type}:${p.name}@${p.version}`}#${i}`;
    used.add(ref);
    refs.set(p, ref);
  }
  const components: Record<string, unknown>[] = pkgs.map((p) => {
    const c: Record<string, unknown> = {
      type: "library",
      "bom-ref": refs.get(p),
      name: p.name,
      version: p.version,
    };
    if (p.group) c.group = p.group;
    if (p.purl) c.purl = p.purl;
    if (p.licenses?.length) c.licenses = p.licenses.map((l) => ({ license: { name: l } }));
    c.properties = props(p);
    return c;
  });
  if (sbom.os) {
    const osc: Record<string, unknown> = {
      type: "operating-system",
      "bom-ref": `os:${sbom.os.id}`,
      name: sbom.os.id,
    };
    if (sbom.os.versionId) osc.version = sbom.os.versionId;
    const osProps: { name: string; value: string }[] = [];
    if (sbom.os.codename) osProps.push({ name: `${P}os:codename`, value: sbom.os.codename });
    if (sbom.os.prettyName) osProps.push({ name: `${P}os:prettyName`, value: sbom.os.prettyName });
    if (osProps.length) osc.properties = osProps;
    components.unshift(osc);
  }
  const subject: Record<string, unknown> = {
    type: sbom.subject.kind === "image" ? "container" : "application",
    "bom-ref": `subject:${sbom.subject.name}`,
    name: sbom.subject.name,
    properties: [
      { name: `${P}subjectKind`, value: sbom.subject.kind },
      ...sbom.layers.map((l) => ({ name: `${P}layer`, value: l.diffId })),
    ],
  };
  if (sbom.subject.digest) subject.version = sbom.subject.digest;
  const body = { subject, components };
  return {
    bomFormat: "CycloneDX",
    specVersion: "1.6",
    serialNumber: `urn:uuid:${uuidFromHash(stableHash(JSON.stringify(body)))}`,
    version: 1,
    metadata: {
      timestamp: opts.now.toISOString(),
      tools: {
        components: [{ type: "application", name: "palisade", version: opts.toolVersion ?? "0.1.0" }],
      },
      component: subject,
    },
    components,
  };
}

function propMap(v: unknown): Map<string, string[]> {
  const m = new Map<string, string[]>();
  if (!Array.isArray(v)) return m;
  for (const p of v) {
    if (isRecord(p) && typeof p.name === "string" && typeof p.value === "string")
      m.set(p.name, [...(m.get(p.name) ?? []), p.value]);
  }
  return m;
}

interface RawComponent {
  type: string;
  name: string;
  version: string;
  group?: string | undefined;
  purl?: string | undefined;
  licenses: string[];
  props: Map<string, string[]>;
}

function packageFrom(c: RawComponent): Package {
  const first = (k: string): string | undefined => c.props.get(`${P}${k}`)?.[0];
  const parsed = c.purl ? parsePurl(c.purl) : undefined;
  const declared = first("type");
  const p: Package = {
    type: declared ? packageTypeOfPurl(declared) : parsed ? packageTypeOfPurl(parsed.type) : "generic",
    name: c.name,
    version: c.version || parsed?.version || "",
    purl: c.purl ?? "",
    locations: c.props.get(`${P}location`) ?? [],
  };
  // Maven and Go components carry their group/namespace separately; keep it so names stay unambiguous.
  if (c.group) p.group = c.group;
  else if (parsed?.type === "maven" && parsed.namespace) p.group = parsed.namespace;
  const sourceName = first("sourceName");
  const sourceVersion = first("sourceVersion");
  const arch = first("arch") ?? parsed?.qualifiers.arch;
  const layerDiffId = first("layerDiffId");
  const layerIndex = first("layerIndex");
  const line = first("line");
  if (sourceName) p.sourceName = sourceName;
  else if (parsed?.qualifiers.upstream) p.sourceName = parsed.qualifiers.upstream.split("@")[0];
  if (sourceVersion) p.sourceVersion = sourceVersion;
  if (arch) p.arch = arch;
  if (layerDiffId) p.layerDiffId = layerDiffId;
  if (layerIndex !== undefined && /^\d+$/.test(layerIndex)) p.layerIndex = Number(layerIndex);
  if (line !== undefined && /^[1-9]\d{0,8}$/.test(line)) p.line = Number(line);
  if (first("indirect") === "true") p.indirect = true;
  if (c.licenses.length) p.licenses = c.licenses;
  return p;
}

function assemble(name: string, components: RawComponent[], meta: RawComponent | undefined): Sbom {
  const packages: Package[] = [];
  let os: OsInfo | undefined;
  for (const c of components) {
    if (c.type === "operating-system") {
      os = { id: c.name.toLowerCase() };
      if (c.version) os.versionId = c.version;
      const codename = c.props.get(`${P}os:codename`)?.[0];
      const pretty = c.props.get(`${P}os:prettyName`)?.[0];
      if (codename) os.codename = codename;
      if (pretty) os.prettyName = pretty;
      continue;
    }
    if (c.type === "container" || c.type === "application" || c.type === "file") {
      if (!c.purl) continue;
    }
    packages.push(packageFrom(c));
  }
  const kind = meta?.props.get(`${P}subjectKind`)?.[0];
  const sbom: Sbom = {
    subject: {
      kind: kind === "image" || kind === "directory" ? kind : "sbom",
      name: meta?.name ?? name,
    },
    layers: (meta?.props.get(`${P}layer`) ?? []).map((diffId) => ({ diffId })),
    packages: packages.sort(comparePackages),
  };
  if (meta?.version && kind === "image") sbom.subject.digest = meta.version;
  if (os) sbom.os = os;
  return sbom;
}

const MAX_COMPONENTS = 500_000;

/** CycloneDX JSON (any 1.x) -> Sbom. Nested components are flattened. */
export function fromCycloneDxJson(doc: unknown, source: string): Sbom {
  if (!isRecord(doc) || doc.bomFormat !== "CycloneDX")
    throw new PalisadeError("INPUT", "not a CycloneDX JSON document", { context: { file: source } });
  const out: RawComponent[] = [];
  const visit = (list: unknown, depth: number): void => {
    if (!Array.isArray(list) || depth > 32) return;
    for (const c of list) {
      if (out.length >= MAX_COMPONENTS)
        throw new PalisadeError("LIMIT", `more than ${MAX_COMPONENTS} components`, {
          context: { file: source },
        });
      if (!isRecord(c) || typeof c.name !== "string") continue;
      out.push(rawFromJson(c));
      visit(c.components, depth + 1);
    }
  };
  visit(doc.components, 0);
  const meta =
    isRecord(doc.metadata) && isRecord(doc.metadata.component)
      ? rawFromJson(doc.metadata.component)
      : undefined;
  return assemble(source, out, meta);
}

function rawFromJson(c: Record<string, unknown>): RawComponent {
  const licenses = (Array.isArray(c.licenses) ? c.licenses : [])
    .map((l) =>
      isRecord(l) && isRecord(l.license)
        ? (l.license.id ?? l.license.name)
        : isRecord(l)
          ? l.expression
          : undefined,
    )
    .filter((x): x is string => typeof x === "string");
  return {
    type: typeof c.type === "string" ? c.type : "library",
    name: typeof c.name === "string" ? c.name : "",
    version: typeof c.version === "string" ? c.version : "",
    group: typeof c.group === "string" && c.group ? c.group : undefined,
    purl: typeof c.purl === "string" ? c.purl : undefined,
    licenses,
    props: propMap(c.properties),
  };
}

/** CycloneDX XML -> Sbom, through the safe XML reader (DOCTYPE and entities are rejected). */
export function fromCycloneDxXml(text: string, source: string): Sbom {
  let root: XmlElement;
  try {
    root = parseXml(text);
  } catch (e) {
    if (e instanceof PalisadeError)
      throw new PalisadeError(e.code, e.message, { cause: e, context: { file: source } });
    throw e;
  }
  if (localName(root.name) !== "bom")
    throw new PalisadeError("INPUT", "not a CycloneDX XML document (root is not <bom>)", {
      context: { file: source },
    });
  const out: RawComponent[] = [];
  const visit = (el: XmlElement | undefined, depth: number): void => {
    if (!el || depth > 32) return;
    for (const c of el.children) {
      if (localName(c.name) !== "component") continue;
      if (out.length >= MAX_COMPONENTS)
        throw new PalisadeError("LIMIT", `more than ${MAX_COMPONENTS} components`, {
          context: { file: source },
        });
      out.push(rawFromXml(c));
      visit(child(c, "components"), depth + 1);
    }
  };
  visit(child(root, "components"), 0);
  const metaEl = child(root, "metadata");
  const metaComp = metaEl ? child(metaEl, "component") : undefined;
  return assemble(source, out, metaComp ? rawFromXml(metaComp) : undefined);
}

function rawFromXml(c: XmlElement): RawComponent {
  const txt = (n: string): string | undefined => child(c, n)?.text.trim();
  const props = new Map<string, string[]>();
  for (const p of child(c, "properties")?.children ?? []) {
    const name = p.attributes.name;
    if (localName(p.name) === "property" && name)
      props.set(name, [...(props.get(name) ?? []), p.text.trim()]);
  }
  const licenses = (child(c, "licenses")?.children ?? [])
    .map((l) =>
      localName(l.name) === "license"
        ? (child(l, "id") ?? child(l, "name"))?.text.trim()
        : localName(l.name) === "expression"
          ? l.text.trim()
          : undefined,
    )
    .filter((x): x is string => !!x);
  return {
    type: c.attributes.type ?? "library",
    name: txt("name") ?? "",
    version: txt("version") ?? "",
    group: txt("group") || undefined,
    purl: txt("purl"),
    licenses,
    props,
  };
}
