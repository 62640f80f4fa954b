/**
 * What an rpm database reader yields: a header blob, or a problem with one record (the reader goes on with the
 * next) that becomes a coverage entry of the database file.
 */
export type RpmDbItem = Uint8Array | { reason: "parse-error" | "limit"; problem: string };
