/**
 * Issue 9 items 2 and 4: the cost of the hostile image inputs through the real CLI (child process under GNU
 * time): a 4 GiB zstd layer bomb (valid digests) at the default image budget and at a lowered one, and a jar
 * whose central directory points 4,000 times at one 1 MiB deflated member (~330 KB -> 4 GiB). Same-run
 * reference: the CLI's `--version` (process start through tsx) and `node -e 0`.
 *
 *   npx tsx bench/image-bombs.ts [layerGiB=4]
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runHostile } from "../test/hostile/harness.js";
import { overlappingZip, writeOciLayout, zstdLayerBomb } from "../test/hostile/image-inputs.js";

const gib = Number(process.argv[2] ?? 4);
const work = mkdtempSync(join(tmpdir(), "palisade-bench-bombs-"));
try {
  const t0 = performance.now();
  execFileSync(process.execPath, ["-e", "0"]);
  const nodeMs = performance.now() - t0;
  const ref = await runHostile(["--version"]);
  console.log(
    `reference: node -e 0 ${nodeMs.toFixed(0)} ms; palisade --version ${ref.wallMs.toFixed(0)} ms, ${ref.maxRssMiB.toFixed(0)} MiB`,
  );

  const layout = join(work, "bomb");
  const bomb = zstdLayerBomb(gib * 8192);
  writeOciLayout(layout, [bomb]);
  console.log(`zstd layer bomb: ${bomb.blob.length} bytes -> ${gib} GiB tar`);
  for (const env of [{}, { PALISADE_MAX_IMAGE_BYTES: "1GiB" }]) {
    const r = await runHostile(["sbom", layout, "-o", "json"], { env, killAfterMs: 600_000 });
    console.log(
      `  sbom, budget ${env.PALISADE_MAX_IMAGE_BYTES ?? "default (16 GiB)"}: exit ${r.code}, ${(r.wallMs / 1000).toFixed(1)} s, peak RSS ${r.maxRssMiB.toFixed(0)} MiB${r.killed ? " (killed)" : ""}; ${r.stderr.trim().slice(0, 160)}`,
    );
  }

  const root = join(work, "jar");
  mkdirSync(join(root, "srv"), { recursive: true });
  const pom = Buffer.concat([
    Buffer.from("groupId=g\nartifactId=a\nversion=1\n"),
    Buffer.alloc(1024 * 1024 - 40, 0x20),
  ]);
  const jar = join(root, "srv/bomb.jar");
  writeFileSync(
    jar,
    overlappingZip(
      Array.from({ length: 4000 }, (_, i) => `META-INF/maven/g/a${i}/pom.properties`),
      pom,
    ),
  );
  const r = await runHostile(["sbom", `dir:${root}`, "-o", "json"], { killAfterMs: 600_000 });
  console.log(
    `jar bomb: ${statSync(jar).size} bytes -> 4000 x 1 MiB: exit ${r.code}, ${(r.wallMs / 1000).toFixed(1)} s, peak RSS ${r.maxRssMiB.toFixed(0)} MiB; ${r.stderr.trim().slice(0, 160)}`,
  );
} finally {
  rmSync(work, { recursive: true, force: true });
}
