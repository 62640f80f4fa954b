/**
 * A snapshot request body read as a stream: the bytes as sent are capped (`maxBodyBytes`), gzip is inflated
 * chunk by chunk, and the inflated bytes are capped (`maxSnapshotBytes`), so a 37 MiB gzip of a 500 MiB snapshot
 * is never held whole in either form. A cap hit or a corrupt gzip stream ends the chunks with an error that
 * {@link SnapshotBody.failure} keeps, typed (LIMIT -> 413, INPUT -> 400), whatever the reader made of it.
 */
import { Readable } from "node:stream";
import { createGunzip } from "node:zlib";
import { PalisadeError } from "../../core/errors/index.js";

/**
 * Size of the inflated chunks: zlib's default is 16 KiB, so a 500 MiB snapshot would cross the stream machinery
 * and the reader's loop 32k times; in 256 KiB chunks, 2k times (the stream glue was a tenth of the reader's CPU).
 */
export const INFLATE_CHUNK_BYTES = 256 * 1024;

export interface SnapshotBody {
  chunks: AsyncIterable<Buffer>;
  /** Why the body could not be read whole, once reading stopped; undefined while it is fine. */
  failure(): PalisadeError | undefined;
}

export function snapshotBody(
  raw: Readable,
  opts: { gzip: boolean; maxBodyBytes: number; maxSnapshotBytes: number },
): SnapshotBody {
  let failure: PalisadeError | undefined;
  const fail = (e: PalisadeError): PalisadeError => {
    failure ??= e;
    return failure;
  };
  async function* sent(): AsyncGenerator<Buffer> {
    let n = 0;
    for await (const c of raw as AsyncIterable<Buffer>) {
      n += c.length;
      if (n > opts.maxBodyBytes)
        throw fail(new PalisadeError("LIMIT", `request body is larger than ${opts.maxBodyBytes} bytes`));
      yield c;
    }
  }
  async function* inflated(): AsyncGenerator<Buffer> {
    let source: AsyncIterable<Buffer> = sent();
    if (opts.gzip) {
      const gunzip = createGunzip({ chunkSize: INFLATE_CHUNK_BYTES });
      const from = Readable.from(source);
      from.on("error", (e) => gunzip.destroy(e));
      source = from.pipe(gunzip);
    }
    let n = 0;
    try {
      for await (const c of source) {
        n += c.length;
        if (n > opts.maxSnapshotBytes)
          throw fail(
            new PalisadeError("LIMIT", `snapshot is larger than ${opts.maxSnapshotBytes} bytes decompressed`),
          );
        yield c;
      }
    } catch (e) {
      if (e instanceof PalisadeError) throw fail(e);
      const code = (e as { code?: string }).code ?? "";
      throw fail(
        opts.gzip && code.startsWith("Z_")
          ? new PalisadeError("INPUT", "body is not valid gzip", { cause: e })
          : new PalisadeError("INPUT", "the request body could not be read whole", { cause: e }),
      );
    }
  }
  return { chunks: inflated(), failure: () => failure };
}
