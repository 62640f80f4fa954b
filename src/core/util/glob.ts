/**
 * Glob matching for user patterns (exceptions, owners file, `--include-namespaces`, allowed registries):
 * `*` is any run of characters (including `/`), `?` is one UTF-16 code unit, everything else is literal.
 * Anchored at both ends.
 *
 * Cost is bounded near-linearly: the pattern is split on `*`; the first and last pieces are anchored at the
 * ends of the value and compared in place; the pieces between them are found left to right, each at its
 * leftmost occurrence after the previous one (greedy leftmost is exact for `*`-separated pieces: any match
 * can be shifted to the leftmost one without breaking the rest). Each search is a Shift-And (bitap) scan, which
 * handles `?` and reads each character of the value once per 32 pattern characters, so a match costs
 * O(value × ⌈pattern / 32⌉) whatever the input. The previous backtracking matcher was O(pattern × value):
 * `*a{25000}b` against a 50 KB name took minutes.
 */

/** Longest pattern accepted, in UTF-16 code units. Loaders refuse longer ones ({@link globPatternProblem}). */
export const GLOB_MAX_PATTERN = 1024;
/** Longest value matched, in UTF-16 code units: a longer value (no Kubernetes name is) matches no pattern. */
export const GLOB_MAX_VALUE = 65_536;

/** Why a pattern cannot be used, or undefined when it can. For loaders to report with file and field. */
export function globPatternProblem(pattern: string): string | undefined {
  if (pattern.length > GLOB_MAX_PATTERN)
    return `pattern is ${pattern.length} characters long; the limit is ${GLOB_MAX_PATTERN}`;
  return undefined;
}

const QMARK = 63; // '?'

/** One `*`-free piece, compiled for the Shift-And scan. */
interface Piece {
  readonly text: string;
  readonly words: number;
  /** Per code unit of the piece: bit i set where the piece has that unit or `?` at position i. */
  readonly masks: Map<number, Uint32Array>;
  /** Bits of the `?` positions: the mask of every code unit the piece does not contain. */
  readonly any: Uint32Array;
}

interface Compiled {
  /** Without `*`: the whole pattern is one anchored piece. */
  readonly starless: boolean;
  readonly first: string;
  readonly last: string;
  readonly middle: readonly Piece[];
}

function compilePiece(text: string): Piece {
  const words = Math.max(1, Math.ceil(text.length / 32));
  const any = new Uint32Array(words);
  const masks = new Map<number, Uint32Array>();
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QMARK) any[i >>> 5]! |= 1 << (i & 31);
  }
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QMARK) continue;
    let m = masks.get(c);
    if (m === undefined) {
      m = any.slice();
      masks.set(c, m);
    }
    m[i >>> 5]! |= 1 << (i & 31);
  }
  return { text, words, masks, any };
}

/** A small bounded cache: the same few patterns are matched against every finding of a scan. */
const cache = new Map<string, Compiled>();
const CACHE_MAX = 512;

function compile(pattern: string): Compiled {
  const hit = cache.get(pattern);
  if (hit !== undefined) return hit;
  const parts = pattern.split("*");
  const compiled: Compiled =
    parts.length === 1
      ? { starless: true, first: pattern, last: "", middle: [] }
      : {
          starless: false,
          first: parts[0]!,
          last: parts[parts.length - 1]!,
          middle: parts
            .slice(1, -1)
            .filter((p) => p !== "")
            .map(compilePiece),
        };
  if (cache.size >= CACHE_MAX) cache.clear();
  cache.set(pattern, compiled);
  return compiled;
}

/** Whether `piece` (with `?`) matches `value` at `at`, in place. O(piece). */
function matchesAt(piece: string, value: string, at: number): boolean {
  for (let i = 0; i < piece.length; i++) {
    const c = piece.charCodeAt(i);
    if (c !== QMARK && c !== value.charCodeAt(at + i)) return false;
  }
  return true;
}

/**
 * Leftmost start of `piece` in `value[from, to)`, or -1. Shift-And: state bit i is set when the last i+1
 * characters read match the piece's first i+1; one pass over the window.
 */
function search(piece: Piece, value: string, from: number, to: number): number {
  const m = piece.text.length;
  if (to - from < m) return -1;
  const { words, masks, any } = piece;
  const state = new Uint32Array(words);
  const lastWord = (m - 1) >>> 5;
  const lastBit = 1 << ((m - 1) & 31);
  for (let j = from; j < to; j++) {
    const mask = masks.get(value.charCodeAt(j)) ?? any;
    let carry = 1; // a match may start at every position
    for (let w = 0; w < words; w++) {
      const s = state[w]!;
      state[w] = ((s << 1) | carry) & mask[w]!;
      carry = s >>> 31;
    }
    if ((state[lastWord]! & lastBit) !== 0) return j - m + 1;
  }
  return -1;
}

/**
 * Glob match: `*` any run (including `/` and the empty run), `?` one character, anchored. A pattern longer than
 * {@link GLOB_MAX_PATTERN} or a value longer than {@link GLOB_MAX_VALUE} never matches (loaders refuse such
 * patterns first, with {@link globPatternProblem}). Time is O(value × ⌈pattern / 32⌉).
 */
export function globMatch(pattern: string, value: string): boolean {
  if (pattern.length > GLOB_MAX_PATTERN || value.length > GLOB_MAX_VALUE) return false;
  const c = compile(pattern);
  if (c.starless) return value.length === pattern.length && matchesAt(pattern, value, 0);
  const { first, last } = c;
  if (value.length < first.length + last.length) return false;
  if (!matchesAt(first, value, 0) || !matchesAt(last, value, value.length - last.length)) return false;
  let at = first.length;
  const end = value.length - last.length;
  for (const piece of c.middle) {
    const found = search(piece, value, at, end);
    if (found < 0) return false;
    at = found + piece.text.length;
  }
  return true;
}
