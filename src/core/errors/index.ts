/**
 * The closed set of errors Palisade raises. Match on `code`, never on message text.
 * Unknown throws are normalised once at each boundary with {@link toPalisadeError}.
 */
export type ErrorCode =
  | "USAGE" // bad command-line arguments or options
  | "INPUT" // malformed user input (manifest, snapshot, config, SBOM, advisory)
  | "LIMIT" // an input exceeded a size, count or alias budget
  | "UNSAFE" // hostile input refused (prototype keys, path traversal, symlink escape)
  | "IO" // filesystem or network failure
  | "REMOTE" // a remote peer answered with an error (API server, registry)
  | "FORBIDDEN" // authorization refused by a remote peer
  | "INTEGRITY" // digest or signature mismatch
  | "UNSUPPORTED" // a valid input Palisade does not handle (unknown ecosystem, media type)
  | "INTERNAL"; // a bug

export interface ErrorContext {
  file?: string;
  line?: number;
  column?: number;
  field?: string;
  namespace?: string;
  kind?: string;
  name?: string;
  digest?: string;
  url?: string;
}

export class PalisadeError extends Error {
  readonly code: ErrorCode;
  readonly context: ErrorContext;

  constructor(code: ErrorCode, message: string, options: { cause?: unknown; context?: ErrorContext } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "PalisadeError";
    this.code = code;
    this.context = options.context ?? {};
  }

  /** `file:line:column: message` when a location is known. */
  describe(): string {
    const c = this.context;
    const where = c.file ? `${c.file}${c.line ? `:${c.line}${c.column ? `:${c.column}` : ""}` : ""}: ` : "";
    return `${where}${this.message}`;
  }
}

export const isPalisadeError = (e: unknown): e is PalisadeError => e instanceof PalisadeError;

/** Normalise anything thrown into a PalisadeError (boundary helper). */
export function toPalisadeError(
  e: unknown,
  fallback: ErrorCode = "INTERNAL",
  context: ErrorContext = {},
): PalisadeError {
  if (e instanceof PalisadeError) return e;
  const message = e instanceof Error ? e.message : String(e);
  return new PalisadeError(fallback, message, { cause: e, context });
}
