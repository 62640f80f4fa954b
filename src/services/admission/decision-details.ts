/**
 * The details of a recorded admission decision, stored compact and read back whole.
 *
 * A decision's status message and warnings repeat its violations' texts: the message of a denial is the denied
 * violations as `fieldPath: message [rule]` joined by "; ", each warning of an admission is one such text, and the
 * Pod Security parts list the failed checks' messages. Stored as it is answered, a row was 5-10 KiB of JSON with
 * every text two or three times, serialised and handed to the store for every review. The stored form
 * ({@link STORED_DETAILS_FORMAT}) keeps each violation once, as an array, and each message and warning as literal
 * text and references to a violation; {@link expandDecisionDetails} gives back the texts exactly as answered.
 *
 * The references are found by looking for the texts, not by knowing how the decision wrote them: a text is
 * referenced only where it occurs exactly, and anything else stays literal, so the stored form never loses a
 * character whatever the decision's wording becomes (it only compresses less).
 */
import type { JsonValue } from "../../adapters/store/ports.js";
import type { AdmissionDecision, AdmissionViolation } from "../../core/admission/index.js";

/**
 * `format` of the compact details. Their fields:
 * - `violations`: `[rule, mode, fieldPath, message]`, plus `exceptionId, exceptionReason` when an exception matched;
 * - `message` (null: none) and each of `warnings`: a string when it references nothing, else an array of parts: a
 *   string is literal text, a number `i >= 0` the text `${fieldPath}: ${message} [${rule}]` of violation `i`, a
 *   number `-(i + 1)` the message alone of violation `i`;
 * - `dryRun`, `exemption` (null: none) as given.
 */
export const STORED_DETAILS_FORMAT = 2;

type Part = string | number;

/**
 * Whether `s` stands in `text` at `i`. Through indexOf, which answers at once when it does: V8's startsWith with a
 * position compared character by character, 0.2-1 µs a call for these texts (measured on Node 20), and this runs
 * for every violation of every review. The first characters are compared first, so a miss rarely searches on.
 */
const standsAt = (text: string, s: string, i: number): boolean =>
  i >= 0 && (s.length === 0 || (text.charCodeAt(i) === s.charCodeAt(0) && text.indexOf(s, i) === i));

/**
 * Parts of `text` between `from` and `to` with the violations' own messages referenced (`-(i + 1)`), in order from
 * `cursor.next`. Searched in that stretch alone: it is short (what the whole texts left), the text is long.
 */
function messageRefs(
  text: string,
  from: number,
  to: number,
  vs: readonly AdmissionViolation[],
  out: Part[],
  cursor: { next: number },
): void {
  const stretch = from === 0 && to === text.length ? text : text.slice(from, to);
  let pos = 0;
  for (let i = cursor.next; i < vs.length && pos < stretch.length; i++) {
    const m = (vs[i] as AdmissionViolation).message;
    if (m.length === 0 || m.length > stretch.length - pos) continue;
    const at = stretch.indexOf(m, pos);
    if (at < 0) continue;
    if (at > pos) out.push(stretch.slice(pos, at));
    out.push(-(i + 1));
    pos = at + m.length;
    cursor.next = i + 1;
  }
  if (pos < stretch.length) out.push(pos === 0 ? stretch : stretch.slice(pos));
}

/**
 * `text` as parts: first each violation's whole `fieldPath: message [rule]` where it occurs, found from the ` [`
 * that closes it, in the violations' order from `cursor.full` (the order the decision writes them in); then, in
 * what is left, the violations' messages alone (Pod Security's "violates PodSecurity ...: a, b"). A string when
 * nothing is referenced. One pass over the text for the whole forms: a review's message can be 5 KiB and name
 * dozens of violations, and this runs for every review.
 */
function encodeText(
  text: string,
  vs: readonly AdmissionViolation[],
  cursor: { full: number; bare: { next: number } },
): string | Part[] {
  const out: Part[] = [];
  let pos = 0;
  let from = cursor.full;
  for (let h = text.indexOf(" [", 0); h >= 0 && from < vs.length; h = text.indexOf(" [", h + 2)) {
    for (let i = from; i < vs.length; i++) {
      const v = vs[i] as AdmissionViolation;
      const end = h - v.message.length;
      const start = end - 2 - v.fieldPath.length;
      if (
        start < pos ||
        text.charCodeAt(h + 2 + v.rule.length) !== 93 ||
        text.charCodeAt(end - 1) !== 32 ||
        text.charCodeAt(end - 2) !== 58 ||
        !standsAt(text, v.rule, h + 2) ||
        !standsAt(text, v.message, end) ||
        !standsAt(text, v.fieldPath, start)
      )
        continue;
      if (start > pos) messageRefs(text, pos, start, vs, out, cursor.bare);
      out.push(i);
      pos = h + 3 + v.rule.length;
      from = i + 1;
      h = pos - 2;
      break;
    }
  }
  cursor.full = from;
  if (pos < text.length) messageRefs(text, pos, text.length, vs, out, cursor.bare);
  return out.length === 1 && typeof out[0] === "string" ? out[0] : out;
}

/** The stored (compact) details of a decision: see {@link STORED_DETAILS_FORMAT}. */
export function storedDecisionDetails(d: AdmissionDecision): JsonValue {
  const vs = d.violations;
  const violations: JsonValue[] = new Array(vs.length);
  for (let i = 0; i < vs.length; i++) {
    const v = vs[i] as AdmissionViolation;
    violations[i] = v.exception
      ? [v.rule, v.mode, v.fieldPath, v.message, v.exception.id, v.exception.reason]
      : [v.rule, v.mode, v.fieldPath, v.message];
  }
  const message = d.status?.message;
  const warnings: JsonValue[] = new Array(d.warnings.length);
  // The warnings in order share their cursors: each refers to violations after those the one before referred to.
  const cursor = { full: 0, bare: { next: 0 } };
  for (let i = 0; i < d.warnings.length; i++) warnings[i] = encodeText(d.warnings[i] as string, vs, cursor);
  return {
    format: STORED_DETAILS_FORMAT,
    message: message === undefined ? null : encodeText(message, vs, { full: 0, bare: { next: 0 } }),
    warnings,
    dryRun: d.dryRun,
    exemption: d.exemption ?? null,
    violations,
  };
}

/** One violation as the API shows it. */
interface ShownViolation {
  rule: string;
  mode: string;
  fieldPath: string;
  message: string;
  exception: { id: string; reason: string } | null;
}

const isString = (x: unknown): x is string => typeof x === "string";

function shownViolation(x: JsonValue): ShownViolation | undefined {
  if (!Array.isArray(x) || (x.length !== 4 && x.length !== 6) || !x.every(isString)) return undefined;
  const [rule, mode, fieldPath, message, id, reason] = x as string[];
  return {
    rule: rule as string,
    mode: mode as string,
    fieldPath: fieldPath as string,
    message: message as string,
    exception: id === undefined ? null : { id, reason: reason as string },
  };
}

function expandText(x: JsonValue, vs: readonly ShownViolation[]): string | undefined {
  if (typeof x === "string") return x;
  if (!Array.isArray(x)) return undefined;
  let text = "";
  for (const p of x) {
    if (typeof p === "string") text += p;
    else if (typeof p !== "number" || !Number.isInteger(p)) return undefined;
    else {
      const v = vs[p >= 0 ? p : -p - 1];
      if (v === undefined) return undefined;
      text += p >= 0 ? `${v.fieldPath}: ${v.message} [${v.rule}]` : v.message;
    }
  }
  return text;
}

/**
 * Stored details as the API shows them: `{ message, warnings, dryRun, exemption, violations: [{ rule, mode,
 * fieldPath, message, exception }] }`, the texts exactly as the decision answered them. Details in any other form
 * (recorded before the compact form, or by another writer) are returned as stored, and so are compact details that
 * do not hold together (a reference to no violation), rather than a text that was never answered.
 */
export function expandDecisionDetails(details: JsonValue): JsonValue {
  if (details === null || typeof details !== "object" || Array.isArray(details)) return details;
  if (details.format !== STORED_DETAILS_FORMAT) return details;
  const { message, warnings, violations, dryRun, exemption } = details;
  if (!Array.isArray(violations) || !Array.isArray(warnings)) return details;
  const vs: ShownViolation[] = [];
  for (const x of violations) {
    const v = shownViolation(x);
    if (v === undefined) return details;
    vs.push(v);
  }
  const shownMessage = message === null ? null : message === undefined ? undefined : expandText(message, vs);
  const shownWarnings: string[] = [];
  for (const w of warnings) {
    const t = expandText(w, vs);
    if (t === undefined) return details;
    shownWarnings.push(t);
  }
  if (shownMessage === undefined) return details;
  return {
    message: shownMessage,
    warnings: shownWarnings,
    dryRun: dryRun ?? false,
    exemption: exemption ?? null,
    violations: vs as unknown as JsonValue[],
  };
}
