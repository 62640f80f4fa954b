/**
 * Characters a terminal acts on instead of printing: C0 controls (ESC starts ANSI/OSC sequences that recolour,
 * hide text or set the window title; CR rewrites a line), DEL, C1 controls (U+009B is an 8-bit CSI), and the
 * Unicode bidirectional overrides and isolates that reorder what a reader sees ("Trojan Source").
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
const CONTROLS = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
const CONTROLS_AND_LINES = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

const visible = (c: string): string => {
  const n = c.charCodeAt(0);
  if (c === "\n") return "\\n";
  if (c === "\t") return "\\t";
  if (c === "\r") return "\\r";
  return n < 0x100 ? `\\x${n.toString(16).padStart(2, "0")}` : `\\u${n.toString(16).padStart(4, "0")}`;
};

/**
 * Text output's one escape for values taken from input (object names, messages, file names): every control
 * character becomes a visible escape (`\x1b`, `\u202e`), so a name cannot drive the reader's terminal. A single
 * field (`keepLines` false, the default) also escapes newlines and tabs, so it cannot forge extra report lines;
 * a whole text document (`keepLines` true) keeps its own line breaks and tabs.
 */
export function escapeControls(s: string, keepLines = false): string {
  const re = keepLines ? CONTROLS : CONTROLS_AND_LINES;
  re.lastIndex = 0;
  return re.test(s) ? s.replace(re, visible) : s;
}

/** `1 workload`, `2 workloads`; `plural` for irregular words (`1 policy`, `2 policies`). */
export function plural(n: number, word: string, pluralWord = `${word}s`): string {
  return `${n} ${n === 1 ? word : pluralWord}`;
}
