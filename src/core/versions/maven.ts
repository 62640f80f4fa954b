import { compareDigits, invalidVersion, sign } from "./internal.js";
import type { VersionScheme } from "./scheme.js";

/*
 * Port of org.apache.maven.artifact.versioning.ComparableVersion from maven-artifact 3.8.7 (the version Debian
 * ships and the one our differential test runs). Item kinds and their cross-kind results are kept exactly,
 * including the quirk that an int, a long and a BigInteger item compare by kind (decided by digit count after
 * stripping leading zeros), so "000000000000" (kept as is by stripLeadingZeroes, 12 digits) is a long zero
 * that sorts above every int item.
 */

type Item =
  | { readonly kind: "int" | "long" | "big"; readonly digits: string }
  | { readonly kind: "string"; readonly value: string }
  | { readonly kind: "list"; readonly items: Item[] };

const QUALIFIERS = ["alpha", "beta", "milestone", "rc", "snapshot", "", "sp"];
const ALIASES: Record<string, string> = { ga: "", final: "", release: "", cr: "rc" };
const RELEASE_VERSION_INDEX = String(QUALIFIERS.indexOf(""));

/** StringItem.comparableQualifier: known qualifiers by index, unknown ones after them, lexically. */
function comparableQualifier(q: string): string {
  const i = QUALIFIERS.indexOf(q);
  return i === -1 ? `${QUALIFIERS.length}-${q}` : String(i);
}

/** Java String.compareTo: UTF-16 code units, then length. JS string comparison is the same order. */
const javaCompare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

function stringItem(value: string, followedByDigit: boolean): Item {
  if (followedByDigit && value.length === 1) {
    // a1 = alpha-1, b1 = beta-1, m1 = milestone-1
    if (value === "a") value = "alpha";
    else if (value === "b") value = "beta";
    else if (value === "m") value = "milestone";
  }
  return { kind: "string", value: Object.hasOwn(ALIASES, value) ? ALIASES[value]! : value };
}

/**
 * Java's Character.isDigit for a UTF-16 code unit: Unicode category Nd in the BMP. The pattern is made on first
 * use, not at load: V8 parses a Unicode property escape when the literal is evaluated, and this module is on a
 * one-file scan's start-up path (src/load-cost.test.ts).
 */
let nd: RegExp | undefined;
const isJavaDigit = (c: string): boolean => {
  const code = c.charCodeAt(0);
  // ASCII fast path; the Unicode test only for the rare non-ASCII character.
  if (code < 128) return code >= 48 && code <= 57;
  nd ??= /^\p{Nd}$/u;
  return nd.test(c);
};

/** Value of a decimal digit of any script: Nd digits come in contiguous runs 0..9 (Unicode chapter 4.6). */
function digitValue(c: string): number {
  const code = c.charCodeAt(0);
  if (code >= 48 && code <= 57) return code - 48;
  let zero = code;
  while (zero > code - 9 && isJavaDigit(String.fromCharCode(zero - 1))) zero--;
  return code - zero;
}

function toAsciiDigits(s: string): string {
  if (/^[0-9]*$/.test(s)) return s;
  let out = "";
  for (const c of s) out += String(digitValue(c));
  return out;
}

function stripLeadingZeroes(buf: string): string {
  if (buf.length === 0) return "0";
  for (let i = 0; i < buf.length; i++) if (buf[i] !== "0") return buf.slice(i);
  return buf;
}

function parseItem(isDigit: boolean, buf: string): Item {
  if (isDigit) {
    const digits = stripLeadingZeroes(toAsciiDigits(buf));
    if (digits.length <= 9) return { kind: "int", digits };
    if (digits.length <= 18) return { kind: "long", digits };
    return { kind: "big", digits };
  }
  return stringItem(buf, false);
}

function isNull(item: Item): boolean {
  switch (item.kind) {
    case "int":
    case "long":
    case "big":
      return /^0+$/.test(item.digits);
    case "string":
      return comparableQualifier(item.value) === RELEASE_VERSION_INDEX;
    case "list":
      return item.items.length === 0;
  }
}

function normalize(list: Item[]): void {
  for (let i = list.length - 1; i >= 0; i--) {
    const last = list[i]!;
    if (isNull(last)) list.splice(i, 1);
    else if (last.kind !== "list") break;
  }
}

const NUMERIC_RANK = { int: 0, long: 1, big: 2 } as const;

/** A scalar item's `compareTo`, which never recurses: a list on either side is decided by kind alone. */
function compareScalar(a: Item & { kind: "int" | "long" | "big" | "string" }, b: Item | null): number {
  if (a.kind === "string") {
    // 1-rc < 1, 1-ga > 1 ... and any qualifier is below a number or a sub-list (1.any < 1.1, 1.any < 1-1)
    if (b === null) return javaCompare(comparableQualifier(a.value), RELEASE_VERSION_INDEX);
    if (b.kind === "string") return javaCompare(comparableQualifier(a.value), comparableQualifier(b.value));
    return -1;
  }
  if (b === null) return isNull(a) ? 0 : 1; // 1.0 == 1, 1.1 > 1
  if (b.kind === "string" || b.kind === "list") return 1; // 1.1 > 1-sp, 1.1 > 1-1
  const ra = NUMERIC_RANK[a.kind];
  const rb = NUMERIC_RANK[b.kind];
  if (ra !== rb) return ra < rb ? -1 : 1;
  return compareDigits(a.digits, b.digits);
}

/**
 * `Item.compareTo(Item)`; `null` stands for a missing item (the shorter list's padding). Java recurses into
 * sub-lists; here that is a loop, because a version like "1a" x 4000 nests 8,000 lists and recursion
 * overflowed the stack. The loop is exact because the parser only ever nests a sub-list as the *last* item of
 * its parent (every `push()` descends into the list it just appended), so the recursive call on a pair of
 * sub-lists, or on a sub-list against padding, is always the last thing its caller does (a tail call). The
 * one non-tail form, `-1 * r.compareTo(null)`, becomes a sign flip. A sub-list anywhere else would be a bug,
 * and throws.
 */
function compareItem(first: Item, second: Item | null): number {
  let a = first;
  let b = second;
  let sign = 1;
  for (;;) {
    if (a.kind !== "list") return sign * compareScalar(a, b);
    if (b === null) {
      // ListItem.compareTo(null): the first item that differs from padding decides.
      const items = a.items;
      let next: Item | undefined;
      for (let i = 0; i < items.length; i++) {
        const item = items[i]!;
        if (item.kind === "list") {
          if (i !== items.length - 1) throw new Error("maven: sub-list not in last position");
          next = item;
          break;
        }
        const r = compareScalar(item, null);
        if (r !== 0) return sign * r;
      }
      if (next === undefined) return 0;
      a = next;
      continue;
    }
    if (b.kind === "string") return sign; // 1-1 > 1-sp
    if (b.kind !== "list") return -sign; // 1-1 < 1.0.x
    const la = a.items;
    const lb = b.items;
    const n = Math.max(la.length, lb.length);
    let tail: [Item, Item | null, number] | undefined;
    for (let i = 0; i < n; i++) {
      const l = la[i];
      const r = lb[i];
      const last = i === n - 1;
      if (l === undefined) {
        // r.compareTo(null), negated
        if (r!.kind === "list") {
          if (!last) throw new Error("maven: sub-list not in last position");
          tail = [r!, null, -sign];
          break;
        }
        const c = -compareScalar(r! as Item & { kind: "int" | "long" | "big" | "string" }, null);
        if (c !== 0) return sign * c;
        continue;
      }
      if (l.kind === "list" && (r === undefined || r.kind === "list")) {
        if (!last) throw new Error("maven: sub-list not in last position");
        tail = [l, r ?? null, sign];
        break;
      }
      const c =
        l.kind === "list"
          ? r!.kind === "string"
            ? 1
            : -1 // list vs scalar: 1-1 > 1-sp, 1-1 < 1.0.x
          : compareScalar(l, r ?? null);
      if (c !== 0) return sign * c;
    }
    if (tail === undefined) return 0;
    [a, b, sign] = tail;
  }
}

/** Parse a Maven version into ComparableVersion's item tree (`parseVersion`). Never fails for a string. */
export function parseMavenItems(version: string): Item {
  // toLowerCase(Locale.ENGLISH) maps like JS toLowerCase (no Turkish or Lithuanian rules).
  const v = version.toLowerCase();
  const root: Item & { kind: "list" } = { kind: "list", items: [] };
  let list = root;
  const stack: (Item & { kind: "list" })[] = [root];
  let isDigit = false;
  let startIndex = 0;
  const push = (): void => {
    const next: Item & { kind: "list" } = { kind: "list", items: [] };
    list.items.push(next);
    list = next;
    stack.push(next);
  };
  // Java walks UTF-16 code units; so does this loop.
  for (let i = 0; i < v.length; i++) {
    const c = v[i]!;
    if (c === ".") {
      list.items.push(
        i === startIndex ? { kind: "int", digits: "0" } : parseItem(isDigit, v.slice(startIndex, i)),
      );
      startIndex = i + 1;
    } else if (c === "-") {
      list.items.push(
        i === startIndex ? { kind: "int", digits: "0" } : parseItem(isDigit, v.slice(startIndex, i)),
      );
      startIndex = i + 1;
      push();
    } else if (isJavaDigit(c)) {
      if (!isDigit && i > startIndex) {
        // maven-artifact 3.8 (MNG-7559 era): a qualifier followed by a number goes into its own sub-list
        // unless the current list is still empty, so "1.x1" parses as [1, [x, [1]]].
        if (list.items.length > 0) push();
        list.items.push(stringItem(v.slice(startIndex, i), true));
        startIndex = i;
        push();
      }
      isDigit = true;
    } else {
      if (isDigit && i > startIndex) {
        list.items.push(parseItem(true, v.slice(startIndex, i)));
        startIndex = i;
        push();
      }
      isDigit = false;
    }
  }
  if (v.length > startIndex) {
    // Likewise a trailing qualifier after other items: "10.x" is [10, [x]], canonical "10-x".
    if (!isDigit && list.items.length > 0) push();
    list.items.push(parseItem(isDigit, v.slice(startIndex)));
  }
  while (stack.length > 0) normalize(stack.pop()!.items);
  return root;
}

/** ComparableVersion.compareTo. */
export function compareMavenRaw(a: string, b: string): number {
  return sign(compareItem(parseMavenItems(a), parseMavenItems(b)));
}

/** ComparableVersion.getCanonical(): ListItem.toString, walked down the list spine instead of recursing. */
export function canonicalMaven(version: string): string {
  const scalar = (item: Item): string =>
    item.kind === "string" ? item.value : item.kind === "list" ? "" : item.digits.replace(/^0+(?=.)/, "");
  let out = "";
  let list: Item | undefined = parseMavenItems(version);
  while (list !== undefined && list.kind === "list") {
    // ListItem.toString: a separator only once something has been printed; a sub-list prints its own text.
    let buffer = "";
    let next: Item | undefined;
    for (const x of list.items) {
      if (x.kind === "list") {
        next = x;
        break;
      }
      if (buffer.length > 0) buffer += ".";
      buffer += scalar(x);
    }
    out += buffer;
    // Java appends "-" before a sub-list whenever this list's own buffer is non-empty.
    if (next !== undefined && buffer.length > 0) out += "-";
    list = next;
  }
  return out;
}

/**
 * Maven artifacts (maven-artifact 3.8 ComparableVersion). Maven accepts any string; we refuse only the empty
 * and all-blank string, which no repository publishes.
 */
export const maven: VersionScheme = {
  name: "Maven",
  isValid: (v) => v.trim() !== "",
  compare(a: string, b: string): number {
    if (a.trim() === "") invalidVersion("Maven", a, "empty version");
    if (b.trim() === "") invalidVersion("Maven", b, "empty version");
    return compareMavenRaw(a, b);
  },
};
