import { createHash, type Hash } from "node:crypto";
import { Transform, type TransformCallback } from "node:stream";
import { PalisadeError } from "../../core/errors/index.js";

/** OCI image-spec descriptor.md "Digests": algorithm `sha256` or `sha512`, lower-case hex of the right length. */
const DIGEST_RE = /^(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$/;

export function isValidDigest(d: string): boolean {
  return DIGEST_RE.test(d);
}

/** Throws PalisadeError("INPUT") unless `d` is a well-formed sha256/sha512 digest. */
export function assertDigest(d: unknown, what: string): string {
  if (typeof d !== "string" || !DIGEST_RE.test(d))
    throw new PalisadeError("INPUT", `${what}: invalid digest ${JSON.stringify(d)}`);
  return d;
}

function hasherFor(digest: string): Hash {
  return createHash(digest.startsWith("sha512:") ? "sha512" : "sha256");
}

/** Digest of a buffer in the algorithm of `like` (sha256 by default). */
export function digestOf(data: Uint8Array, like = "sha256:"): string {
  const alg = like.startsWith("sha512:") ? "sha512" : "sha256";
  return `${alg}:${createHash(alg).update(data).digest("hex")}`;
}

/** Throws PalisadeError("INTEGRITY") unless `data` hashes to `expected`. */
export function verifyBuffer(data: Uint8Array, expected: string, what: string): void {
  const got = digestOf(data, expected);
  if (got !== expected)
    throw new PalisadeError("INTEGRITY", `${what}: digest mismatch, expected ${expected}, got ${got}`, {
      context: { digest: expected },
    });
}

/**
 * A pass-through stream that hashes what flows through it and fails at the end (or as soon as the size is
 * exceeded) when the content does not match the expected digest and size. Consumers therefore never finish
 * successfully on tampered data: every result derived from the stream is discarded with the error.
 */
export class VerifyingStream extends Transform {
  private readonly hash: Hash;
  private bytes = 0;

  constructor(
    private readonly expected: string,
    private readonly what: string,
    private readonly expectedSize?: number,
  ) {
    super();
    this.hash = hasherFor(expected);
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.expectedSize !== undefined && this.bytes > this.expectedSize) {
      cb(
        new PalisadeError(
          "INTEGRITY",
          `${this.what}: more than the ${this.expectedSize} bytes its descriptor declares`,
          {
            context: { digest: this.expected },
          },
        ),
      );
      return;
    }
    this.hash.update(chunk);
    cb(null, chunk);
  }

  override _flush(cb: TransformCallback): void {
    const got = `${this.expected.slice(0, this.expected.indexOf(":"))}:${this.hash.digest("hex")}`;
    if (this.expectedSize !== undefined && this.bytes !== this.expectedSize) {
      cb(
        new PalisadeError(
          "INTEGRITY",
          `${this.what}: ${this.bytes} bytes, descriptor declares ${this.expectedSize}`,
          {
            context: { digest: this.expected },
          },
        ),
      );
      return;
    }
    if (got !== this.expected) {
      cb(
        new PalisadeError(
          "INTEGRITY",
          `${this.what}: digest mismatch, expected ${this.expected}, got ${got}`,
          {
            context: { digest: this.expected },
          },
        ),
      );
      return;
    }
    cb();
  }
}

/** Pipe `src` through a {@link VerifyingStream}, forwarding source errors (plain `pipe` would drop them). */
export function verified(
  src: NodeJS.ReadableStream & { destroy?: (e?: Error) => void },
  digest: string,
  what: string,
  size?: number,
): Transform {
  const v = new VerifyingStream(digest, what, size);
  src.on("error", (e: Error) => v.destroy(e));
  v.on("close", () => src.destroy?.());
  src.pipe(v);
  return v;
}
