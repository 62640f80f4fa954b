/**
 * Lines of object keys in a JSON text, for lockfiles read with JSON.parse (which gives no positions): one pass
 * over the text tracking strings and nesting, recording the 1-based line of every key at the requested depths.
 * The text is assumed to have parsed already; on malformed input the answer is partial, never a throw.
 */

/** Key path (keys joined by U+0000, from the root object's key) -> 1-based line of that key, for keys up to `maxDepth`. */
export function jsonKeyLines(text: string, maxDepth: number): Map<string, number> {
  const out = new Map<string, number>();
  // One frame per open container: whether it is an object, and the key path of the container.
  const stack: { object: boolean; path: string; expectKey: boolean }[] = [];
  let line = 1;
  let pendingKey: { key: string; line: number } | undefined;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 10) line++;
    else if (c === 34) {
      // A string: find its end, skipping escapes.
      const start = i + 1;
      let j = start;
      let escaped = false;
      for (; j < n; j++) {
        const d = text.charCodeAt(j);
        if (d === 10) line++;
        if (escaped) escaped = false;
        else if (d === 92) escaped = true;
        else if (d === 34) break;
      }
      const top = stack[stack.length - 1];
      if (top?.object && top.expectKey) {
        let key = text.slice(start, j);
        if (key.includes("\\")) {
          try {
            key = JSON.parse(`"${key}"`) as string;
          } catch {
            // Leave the raw text: a malformed key only loses its line.
          }
        }
        pendingKey = { key, line };
        if (stack.length <= maxDepth) out.set(join(top.path, key), line);
        top.expectKey = false;
      }
      i = j;
    } else if (c === 123 || c === 91) {
      const top = stack[stack.length - 1];
      const path =
        top === undefined ? "" : top.object && pendingKey ? join(top.path, pendingKey.key) : top.path;
      pendingKey = undefined;
      stack.push({ object: c === 123, path, expectKey: c === 123 });
    } else if (c === 125 || c === 93) {
      stack.pop();
      pendingKey = undefined;
    } else if (c === 44) {
      const top = stack[stack.length - 1];
      if (top?.object) top.expectKey = true;
      pendingKey = undefined;
    }
  }
  return out;
}

function join(path: string, key: string): string {
  return path === "" ? key : `${path}\u0000${key}`;
}
