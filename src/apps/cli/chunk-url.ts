/**
 * A chunk's `import.meta.url` (src/apps/cli/launch.ts), from the chunks directory's URL and the chunk's file name:
 * the launcher hands every chunk its URL, and `pathToFileURL` for each of a scan's fifty chunks was about 2% of a
 * one-file scan's profile (issue 10). Undefined for a name that a file URL would have to escape (esbuild names
 * chunks `name-HASH.js` from letters, digits, `-`, `_` and `.`): the caller then asks `pathToFileURL`.
 */
export function chunkUrl(chunksUrl: string, name: string): string | undefined {
  return SAFE_NAME.test(name) ? `${chunksUrl}/${name}` : undefined;
}

/** URL path characters that are never escaped (RFC 3986 unreserved, less `~`); no `.` or `..` segment. */
const SAFE_NAME = /^(?!\.\.?$)[A-Za-z0-9._-]+$/;
