import type { CliContext } from "./context.js";

/** A one-line progress indicator on stderr, only when stderr is a TTY (never in CI logs or pipes). */
export interface Progress {
  update(message: string): void;
  done(): void;
}

export function createProgress(ctx: CliContext): Progress {
  if (!ctx.stderr.isTTY) return { update() {}, done() {} };
  const frames = ["|", "/", "-", "\\"];
  let i = 0;
  let last = 0;
  let shown = false;
  const start = Date.now();
  return {
    update(message) {
      const t = Date.now();
      if (t - last < 80) return;
      last = t;
      shown = true;
      const secs = ((t - start) / 1000).toFixed(1);
      ctx.stderr.write(`\r\x1b[2K${frames[i++ % frames.length]} ${message} (${secs}s)`);
    },
    done() {
      if (shown) ctx.stderr.write("\r\x1b[2K");
    },
  };
}
