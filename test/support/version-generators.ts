/**
 * Seeded generators of tricky version strings, one per scheme, shared by the differential tests (which
 * compare Palisade with the real tools) and the benchmark. Deterministic: same seed, same versions.
 */

import { prng as rng } from "./prng.js";

/** The seeded PRNG the generators draw from (test/support/prng.ts). */
export { rng };

export type Gen = () => string;

export function picker(r: () => number) {
  const int = (n: number): number => Math.floor(r() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;
  const chance = (p: number): boolean => r() < p;
  const digits = (): string =>
    pick([
      "0",
      "1",
      "2",
      "9",
      "10",
      "01",
      "00",
      "007",
      "99",
      "100",
      "123456789012",
      "2147483648",
      "0000000000",
    ]);
  return { int, pick, chance, digits };
}

/** Join 1..max pieces produced by `piece`. */
function many(r: () => number, max: number, piece: () => string): string {
  const n = 1 + Math.floor(r() * max);
  let s = "";
  for (let i = 0; i < n; i++) s += piece();
  return s;
}

export function dpkgGen(seed: number): Gen {
  const r = rng(seed);
  const { pick, chance, digits } = picker(r);
  const up = (): string =>
    pick([digits(), digits(), ".", "~", "~~", "+", "a", "b", "z", "A", "Z", "rc", "-", ":"]);
  const rev = (): string => pick([digits(), ".", "~", "+", "a", "ubuntu", "deb", "Z"]);
  return () => {
    let v = chance(0.2) ? `${pick(["0", "1", "2", "00", "10"])}:` : "";
    let u = digits() + many(r, 5, up);
    if (v === "" && u.includes(":")) u = u.replaceAll(":", ".");
    v += u;
    if (chance(0.6)) v += `-${many(r, 4, rev)}`;
    return v;
  };
}

export function rpmGen(seed: number): Gen {
  const r = rng(seed);
  const { pick, chance, digits } = picker(r);
  const part = (): string =>
    pick([
      digits(),
      digits(),
      ".",
      "~",
      "^",
      "_",
      "+",
      "a",
      "b",
      "Z",
      "rc",
      "el",
      "fc",
      "git",
      "%",
      "..",
      "~~",
    ]);
  return () => {
    let v = chance(0.2) ? `${pick(["0", "1", "2", "00", "10", ""])}:` : "";
    v += digits() + many(r, 5, part);
    if (chance(0.6)) v += `-${many(r, 4, part)}`;
    return v;
  };
}

const MAVEN_WORDS = [
  "alpha",
  "a",
  "beta",
  "b",
  "m",
  "milestone",
  "rc",
  "cr",
  "snapshot",
  "SNAPSHOT",
  "ga",
  "GA",
  "final",
  "release",
  "sp",
  "foo",
  "x",
  "RC",
  "Final",
  "jre",
  "android",
];

export function mavenGen(seed: number): Gen {
  const r = rng(seed);
  const { pick, chance, digits } = picker(r);
  return () => {
    let v = digits();
    const n = 1 + Math.floor(r() * 5);
    for (let i = 0; i < n; i++) {
      const sep = pick([".", ".", "-", "", "-", "_"]);
      v += sep + (chance(0.5) ? digits() : pick(MAVEN_WORDS));
    }
    if (chance(0.05)) v += pick(["-", ".", ".."]);
    if (chance(0.03)) v = pick(["000000000000", "1.000000000000.1", "1.0000000000000000000001"]);
    return v;
  };
}

export function pep440Gen(seed: number): Gen {
  const r = rng(seed);
  const { pick, chance, digits } = picker(r);
  const sep = (): string => pick(["", "", ".", "-", "_"]);
  return () => {
    let v = chance(0.1) ? pick(["v", "V"]) : "";
    if (chance(0.15)) v += `${pick(["0", "1", "2", "01"])}!`;
    v += digits();
    const n = Math.floor(r() * 4);
    for (let i = 0; i < n; i++) v += `.${digits()}`;
    if (chance(0.35))
      v +=
        sep() +
        pick(["a", "alpha", "b", "beta", "c", "rc", "pre", "preview", "RC", "Alpha"]) +
        sep() +
        (chance(0.7) ? digits() : "");
    if (chance(0.3))
      v += chance(0.3)
        ? `-${digits()}`
        : sep() + pick(["post", "rev", "r", "POST"]) + sep() + (chance(0.7) ? digits() : "");
    if (chance(0.3)) v += sep() + pick(["dev", "DEV"]) + sep() + (chance(0.7) ? digits() : "");
    if (chance(0.25))
      v += `+${many(r, 4, () => pick(["ubuntu", "1", "01", "a", "B", "abc", "0"]) + pick([".", "-", "_", ""]))}`;
    if (chance(0.05)) v += pick(["+", "..", "x", " "]);
    return v;
  };
}

export function semverGen(seed: number): Gen {
  const r = rng(seed);
  const { pick, chance } = picker(r);
  const num = (): string => pick(["0", "1", "2", "10", "11", "99", "100"]);
  const id = (): string => pick(["alpha", "beta", "rc", "0", "1", "2", "10", "a1", "x-y", "-", "A", "b"]);
  return () => {
    let v = `${num()}.${num()}.${num()}`;
    if (chance(0.6)) v += `-${many(r, 4, () => `${id()}.`).slice(0, -1)}`;
    if (chance(0.2)) v += `+${many(r, 3, () => `${pick(["build", "001", "sha", "x"])}.`).slice(0, -1)}`;
    return v;
  };
}

/** PyPI strings as old releases spelled them: PEP 440 ones and LegacyVersion-era ones mixed. */
export function pypiLegacyGen(seed: number): Gen {
  const r = rng(seed);
  const { pick, chance, digits } = picker(r);
  const pep = pep440Gen(seed + 1);
  const word = (): string =>
    pick([
      "bulbasaur",
      "SNAPSHOT",
      "final",
      "RELEASE",
      "pre",
      "preview",
      "rc",
      "dev",
      "pl",
      "p",
      "r",
      "x",
      "ß",
    ]);
  const sep = (): string => pick([".", "-", "_", "", "+", "~", " "]);
  return () => {
    if (chance(0.35)) return pep();
    let v = chance(0.1) ? word() : digits();
    const n = 1 + Math.floor(r() * 4);
    for (let i = 0; i < n; i++) v += sep() + (chance(0.5) ? digits() : word());
    return v;
  };
}

/** RubyGems strings: valid Gem::Version shapes and the near misses osv-scanner still orders ("1beta"). */
export function gemGen(seed: number): Gen {
  const r = rng(seed);
  const { pick, chance, digits } = picker(r);
  const word = (): string => pick(["a", "b", "beta", "rc", "pre", "alpha", "x", "Z"]);
  return () => {
    let v = digits();
    const n = Math.floor(r() * 4);
    for (let i = 0; i < n; i++) v += pick([".", ".", "", "-", "_"]) + (chance(0.6) ? digits() : word());
    return v;
  };
}

/** Composer/PHP version strings, well-formed and not. */
export function composerGen(seed: number): Gen {
  const r = rng(seed);
  const { pick, chance } = picker(r);
  const num = (): string => pick(["0", "1", "2", "3", "10", "01", "4"]);
  const mod = (): string =>
    pick(["RC", "rc", "beta", "b", "alpha", "a", "patch", "pl", "p", "dev", "stable", "x"]);
  return () => {
    let v = chance(0.1) ? "v" : "";
    v += num();
    const n = Math.floor(r() * 4);
    for (let i = 0; i < n; i++) v += `.${num()}`;
    if (chance(0.5))
      v += pick(["-", ".", "", "_"]) + (chance(0.3) ? num() : "") + mod() + (chance(0.6) ? num() : "");
    if (chance(0.15)) v += pick(["-dev", ".x-dev", "+build1", "-", "."]);
    return v;
  };
}
