/**
 * Threat feeds: lists of IP addresses, CIDRs and domains, one per line (`#` comments, blank lines) or CSV with a
 * named column (`--feed file.csv#column`). A feed entry that is neither an address, a CIDR nor a domain is a line
 * error; the rest of the feed is still used.
 *
 * Matching: an address matches the most specific listed CIDR containing it (one map lookup per prefix length in
 * use, so lookups do not grow with the feed); a domain matches itself and its subdomains (listing `evil.example`
 * lists `cdn.evil.example`).
 */
import { parseCidr } from "../netpol/index.js";
import { ipv4Value } from "./attribution.js";
import type { EventLineError } from "./events.js";

export interface FeedEntry {
  feed: string;
  /** The entry as listed: `203.0.113.0/24`, `198.51.100.7`, `evil.example`. */
  value: string;
  line: number;
}

export interface ParsedFeed {
  name: string;
  addresses: FeedEntry[];
  domains: FeedEntry[];
  errors: EventLineError[];
}

const DOMAIN = /^(?=.{1,253}$)(?:[a-z0-9_](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$/;

function splitCsvLine(line: string): string[] {
  const out: string[] = [];
  let cur = "";
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cur += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") {
      out.push(cur.trim());
      cur = "";
    } else cur += c;
  }
  out.push(cur.trim());
  return out;
}

/** Parse a feed. With `column`, the text is CSV whose header names that column. */
export function parseFeed(text: string, name: string, column?: string): ParsedFeed {
  const out: ParsedFeed = { name, addresses: [], domains: [], errors: [] };
  const lines = text.split("\n");
  let col = -1;
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    const raw = (lines[i] ?? "").replace(/\r$/, "");
    const line = raw.trim();
    if (line === "" || line.startsWith("#") || line.startsWith(";") || line.startsWith("//")) continue;
    let value = line;
    if (column !== undefined) {
      const cells = splitCsvLine(line);
      if (col < 0) {
        col = cells.findIndex((c) => c.toLowerCase() === column.toLowerCase());
        if (col < 0) {
          out.errors.push({
            file: name,
            line: lineNo,
            reason: "csv-without-header",
            field: column,
            message: `no column ${JSON.stringify(column)} in the header`,
          });
          return out;
        }
        continue;
      }
      value = (cells[col] ?? "").trim();
      if (value === "") continue;
    } else value = (line.split(/[\s,;]/, 1)[0] ?? "").trim(); // "1.2.3.4 # comment", "1.2.3.4 ; SBL123"
    const v = value.toLowerCase().replace(/\.$/, "");
    if (parseCidr(v.includes("/") ? v : v.includes(":") ? `${v}/128` : `${v}/32`))
      out.addresses.push({ feed: name, value: v, line: lineNo });
    else if (DOMAIN.test(v)) out.domains.push({ feed: name, value: v, line: lineNo });
    else
      out.errors.push({
        file: name,
        line: lineNo,
        reason: "invalid-field",
        message: `not an IP address, CIDR or domain: ${JSON.stringify(value.slice(0, 60))}`,
      });
  }
  return out;
}

export interface FeedMatch {
  entry: FeedEntry;
  /** The address or name that matched. */
  matched: string;
}

/** Every feed's entries in one lookup structure. */
export class ThreatIndex {
  /** family -> prefix -> network start (string key) -> entry */
  private readonly nets = new Map<number, Map<number, Map<string, FeedEntry>>>();
  private readonly prefixes = new Map<number, number[]>();
  private readonly domains = new Map<string, FeedEntry>();
  readonly size: number;

  constructor(feeds: readonly ParsedFeed[]) {
    let n = 0;
    for (const f of feeds) {
      for (const e of f.addresses) {
        const c = parseCidr(
          e.value.includes("/") ? e.value : e.value.includes(":") ? `${e.value}/128` : `${e.value}/32`,
        );
        if (!c) continue;
        let byPrefix = this.nets.get(c.family);
        if (!byPrefix) {
          byPrefix = new Map();
          this.nets.set(c.family, byPrefix);
        }
        let m = byPrefix.get(c.prefix);
        if (!m) {
          m = new Map();
          byPrefix.set(c.prefix, m);
        }
        const k = c.start.toString(16);
        if (!m.has(k)) {
          m.set(k, e);
          n++;
        }
      }
      for (const e of f.domains)
        if (!this.domains.has(e.value)) {
          this.domains.set(e.value, e);
          n++;
        }
    }
    for (const [fam, byPrefix] of this.nets)
      this.prefixes.set(
        fam,
        [...byPrefix.keys()].sort((a, b) => b - a),
      );
    this.size = n;
  }

  /** The most specific entry containing `ip`. */
  matchAddress(ip: string): FeedMatch | undefined {
    // Dotted quads (every flow, twice) without bigints: the network start as a number prints the same hex.
    const v4 = ipv4Value(ip);
    if (v4 !== undefined) {
      const byPrefix = this.nets.get(4);
      for (const p of this.prefixes.get(4) ?? []) {
        const size = 2 ** (32 - p);
        const e = byPrefix?.get(p)?.get((Math.floor(v4 / size) * size).toString(16));
        if (e) return { entry: e, matched: ip };
      }
      return undefined;
    }
    const c = parseCidr(ip.includes(":") ? `${ip}/128` : `${ip}/32`);
    if (!c) return undefined;
    const bits = c.family === 4 ? 32 : 128;
    const byPrefix = this.nets.get(c.family);
    for (const p of this.prefixes.get(c.family) ?? []) {
      const mask = ((1n << BigInt(p)) - 1n) << BigInt(bits - p);
      const e = byPrefix?.get(p)?.get((c.start & mask).toString(16));
      if (e) return { entry: e, matched: ip };
    }
    return undefined;
  }

  /** A listed domain equal to `name` or a parent of it. */
  matchDomain(name: string): FeedMatch | undefined {
    let d = name.toLowerCase().replace(/\.$/, "");
    for (let i = 0; i < 127 && d.includes("."); i++) {
      const e = this.domains.get(d);
      if (e) return { entry: e, matched: name };
      d = d.slice(d.indexOf(".") + 1);
    }
    return undefined;
  }
}
