import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import type { Command } from "commander";
import { PalisadeError } from "../../../core/errors/index.js";
import type { CoverageEntry, Severity } from "../../../core/findings/index.js";
import type { Sbom } from "../../../core/sbom/index.js";
import { stableStringify } from "../../../core/util/index.js";
import type { CliContext } from "../context.js";
import { allowIncompleteDbOption, dbLocation, dbOption, isDbUrl, vulnDbOpener } from "../db-location.js";
import { EXIT } from "../exit-codes.js";
import { addImageOptions, type ImageFlags, imageAnalyzeOptions, imageSpec } from "../image-options.js";
import { collect, failOnOption, outputOption } from "../options.js";
import { writeCoverage, writeNote, writeWarning } from "../text.js";
import { VERSION } from "../version.js";

const SCAN_OUTPUTS = ["table", "json", "sarif", "cyclonedx", "openvex"] as const;
const SBOM_OUTPUTS = ["cyclonedx", "spdx", "json"] as const;
/** VEX documents larger than this are refused (LIMIT). */
const MAX_VEX_BYTES = 32 * 1024 * 1024;

/** Refuse a missing SQLite file for read-only commands (opening would create an empty one); URLs pass. */
export function requireDatabase(location: string): void {
  if (!isDbUrl(location) && !existsSync(location))
    throw new PalisadeError(
      "USAGE",
      `no vulnerability database at ${location}: run \`palisade vuln db import PATH...\``,
    );
}

/** Top-level entries an SBOM document lists (CycloneDX components, SPDX packages, Trivy packages/vulnerabilities, Grype matches). */
function sbomEntryCount(text: string): number {
  let doc: unknown;
  try {
    doc = JSON.parse(text.replace(/^\uFEFF/, ""));
  } catch {
    return 0;
  }
  if (typeof doc !== "object" || doc === null) return 0;
  const d = doc as Record<string, unknown>;
  const len = (v: unknown): number => (Array.isArray(v) ? v.length : 0);
  let n = len(d.components) + len(d.packages) + len(d.matches);
  if (Array.isArray(d.Results))
    for (const r of d.Results)
      if (typeof r === "object" && r !== null)
        n +=
          len((r as Record<string, unknown>).Packages) + len((r as Record<string, unknown>).Vulnerabilities);
  return n;
}

async function loadSbom(
  target: string | undefined,
  sbomFile: string | undefined,
  imageFlags: ImageFlags,
  ctx: CliContext,
): Promise<{ sbom: Sbom; coverage: CoverageEntry[] }> {
  if (sbomFile && target) throw new PalisadeError("USAGE", "give either IMAGE|DIR or --sbom FILE, not both");
  if (sbomFile) {
    const { parseSbomDocument } = await import("../../../core/sbom/index.js");
    const file = resolve(ctx.cwd, sbomFile);
    let text: string;
    try {
      text = await readFile(file, "utf8");
    } catch (e) {
      throw new PalisadeError("INPUT", `cannot read SBOM: ${e instanceof Error ? e.message : String(e)}`, {
        cause: e,
        context: { file: sbomFile },
      });
    }
    const { sbom } = parseSbomDocument(text, sbomFile);
    // Entries that all failed to parse leave 0 packages: "0 vulnerabilities" would pass for a clean result.
    if (sbom.packages.length === 0) {
      const listed = sbomEntryCount(text);
      if (listed > 0)
        throw new PalisadeError(
          "INPUT",
          `nothing evaluated: the SBOM lists ${listed} ${listed === 1 ? "entry" : "entries"} and none is a valid package (name and version or purl)`,
          { context: { file: sbomFile } },
        );
    }
    return { sbom, coverage: [] };
  }
  if (!target) throw new PalisadeError("USAGE", "nothing to scan: give IMAGE, DIR or --sbom FILE");
  const opts = await imageAnalyzeOptions(imageFlags, ctx);
  const { analyzeImage } = await import("../../../adapters/image/index.js");
  return analyzeImage(imageSpec(target, ctx, { directories: true }), opts);
}

/** Read one VEX document (JSON), bounded in size; a typed error naming the file when it cannot be read. */
async function readVexDocument(vexFile: string, ctx: CliContext): Promise<unknown> {
  try {
    const path = resolve(ctx.cwd, vexFile);
    // VEX documents are small; a cap keeps a wrong path (a disk image, a log, a FIFO) from exhausting memory or
    // blocking.
    const { readRegularText } = await import("../../../adapters/fs/index.js");
    const text = await readRegularText(path, { maxBytes: MAX_VEX_BYTES, what: "VEX document" });
    return JSON.parse(text);
  } catch (e) {
    if (e instanceof PalisadeError) throw e;
    // No `cause` and no V8 excerpt: JSON.parse's message quotes the input, which may hold a secret.
    const { jsonErrorReason } = await import("../../../core/util/index.js");
    throw new PalisadeError("INPUT", `cannot read VEX document: ${jsonErrorReason(e)}`, {
      context: { file: vexFile },
    });
  }
}

/** Default of `vuln db import --lock-timeout`, in seconds. */
const DEFAULT_IMPORT_LOCK_TIMEOUT_S = 120;

/**
 * Test-only hook: with PALISADE_TEST_HOLD_IMPORT_AFTER=N, an import stops after the batch that reaches N records
 * (its transaction open), says so on stderr and waits to be killed, so a test can kill it at a known point.
 */
function testHoldHook(ctx: CliContext): ((records: number) => Promise<void>) | undefined {
  const n = Number(ctx.env.PALISADE_TEST_HOLD_IMPORT_AFTER);
  if (!ctx.env.PALISADE_TEST_HOLD_IMPORT_AFTER || !Number.isFinite(n)) return undefined;
  return async (records) => {
    if (records < n) return;
    ctx.stderr.write(`palisade-test: import holding after ${records} records\n`);
    // The timer holds `resolve`, so this promise and the suspended import (its open database) stay reachable:
    // an unreachable pending promise would let the collector finalise the connection and release its lock.
    await new Promise<never>((resolve) => setInterval(() => resolve, 1 << 30));
  };
}

export function register(program: Command, ctx: CliContext): void {
  const vuln = program.command("vuln").description("Offline vulnerability database (OSV), matching and VEX");
  const db = vuln.command("db").description("Manage the embedded vulnerability database");

  db.command("import")
    .description(
      "Import OSV advisories: directories of OSV JSON, osv.dev per-ecosystem zip files, or JSON files",
    )
    .argument("<paths...>", "OSV directories, .zip archives or .json files")
    .addOption(dbOption(ctx))
    .option(
      "--lock-timeout <seconds>",
      "wait this long for another import into the same database to finish",
      String(DEFAULT_IMPORT_LOCK_TIMEOUT_S),
    )
    .action(async (paths: string[], flags: { db?: string; lockTimeout: string }) => {
      const lockTimeout = Number(flags.lockTimeout);
      if (!Number.isFinite(lockTimeout) || lockTimeout < 0)
        throw new PalisadeError("USAGE", `--lock-timeout ${flags.lockTimeout} is not a number of seconds`);
      const { openVulnStore, readOsvPaths } = await import("../../../adapters/store/index.js");
      const { importAdvisories } = await import("../../../services/vuln/index.js");
      const store = await openVulnStore(dbLocation(flags.db, ctx), { lockTimeoutMs: lockTimeout * 1000 });
      try {
        const started = performance.now();
        const r = await importAdvisories(readOsvPaths(paths.map((p) => resolve(ctx.cwd, p))), {
          vulns: store,
          now: ctx.now,
          afterBatch: testHoldHook(ctx),
        });
        const ms = Math.round(performance.now() - started);
        writeCoverage(ctx, r.coverage);
        for (const n of r.notes) writeNote(ctx, n);
        ctx.stdout.write(
          `imported ${r.records} records from ${r.files} files in ${ms} ms: ${r.written} written, ${r.unchanged} unchanged, ${r.coverage.length} problems\n`,
        );
        // Nothing readable at all is an input error; partial problems are warnings.
        ctx.exitCode = r.records === 0 && r.coverage.length > 0 ? EXIT.USAGE : EXIT.OK;
      } finally {
        await store.close();
      }
    });

  db.command("status")
    .description("Show what the database holds and how old it is")
    .addOption(dbOption(ctx))
    .addOption(outputOption(["table", "json"], "table"))
    .action(async (flags: { db?: string; output: string }) => {
      const location = dbLocation(flags.db, ctx);
      requireDatabase(location);
      const { vulnDbStatus } = await import("../../../services/vuln/index.js");
      // A URL may carry a password: status output shows it redacted (the service's `where`).
      const {
        where: file,
        status: st,
        fresh,
        problem,
      } = await vulnDbStatus({ open: vulnDbOpener(location), now: ctx.now });
      if (problem) writeWarning(ctx, problem);
      writeCoverage(ctx, fresh.coverage);
      for (const n of fresh.notes) writeNote(ctx, n);
      if (flags.output === "json") {
        ctx.stdout.write(
          `${stableStringify({ path: file, ...st, ageDays: fresh.ageDays, stale: fresh.stale })}\n`,
        );
      } else {
        const lines = [
          `database:        ${file}`,
          `advisories:      ${st.advisories}`,
          `packages:        ${st.packages}`,
          `imported at:     ${st.importedAt ?? "never"}`,
          `last import:     ${st.importState}${st.importStartedAt ? ` (started ${st.importStartedAt})` : ""}`,
          `newest modified: ${st.newestModified ?? "-"}${fresh.ageDays !== undefined ? ` (${fresh.ageDays} days old${fresh.stale ? ", stale" : ""})` : ""}`,
          ...Object.entries(st.byEcosystem).map(([eco, n]) => `  ${eco}: ${n}`),
        ];
        ctx.stdout.write(`${lines.join("\n")}\n`);
      }
      ctx.exitCode = EXIT.OK;
    });

  addImageOptions(
    vuln
      .command("scan")
      .description("Match an image, a directory or an SBOM against the offline vulnerability database")
      .argument("[target]", "image (oci:DIR, docker-archive:FILE, registry reference) or directory")
      .option(
        "--sbom <file>",
        "scan an SBOM or scanner report instead (CycloneDX JSON/XML, SPDX, Trivy, Grype)",
      )
      .option("--vex <file>", "OpenVEX or CycloneDX VEX document (repeatable; later files win)", collect)
      .addOption(outputOption(SCAN_OUTPUTS, "table"))
      .addOption(failOnOption())
      .addOption(dbOption(ctx))
      .addOption(allowIncompleteDbOption()),
  ).action(
    async (
      target: string | undefined,
      flags: {
        sbom?: string;
        vex?: string[];
        output: string;
        failOn?: Severity;
        db?: string;
        allowIncompleteDb?: boolean;
        platform?: string;
        registryCa?: string;
        maxImageBytes?: string;
      },
    ) => {
      const failOn = flags.failOn;
      const location = dbLocation(flags.db, ctx);
      requireDatabase(location);
      const vulnMod = await import("../../../core/vuln/index.js");
      const { sbom, coverage } = await loadSbom(target, flags.sbom, flags, ctx);
      const { vulnScan } = await import("../../../services/vuln/index.js");
      const { report, findings } = await vulnScan(
        {
          sbom,
          coverage,
          vex: flags.vex ?? [],
          // An incomplete database must never give an "all clear": refused before matching, unless asked.
          policy: {
            allowIncomplete: flags.allowIncompleteDb,
            override: "scan anyway with --allow-incomplete-db",
          },
          version: VERSION,
        },
        {
          open: vulnDbOpener(location),
          now: ctx.now,
          readVex: (file) => readVexDocument(file, ctx),
          onDatabase: ({ warnings, check }) => {
            for (const w of warnings) writeWarning(ctx, w);
            writeCoverage(ctx, check.fresh.coverage);
            for (const n of check.fresh.notes) writeNote(ctx, n);
          },
        },
      );
      const now = ctx.now();
      switch (flags.output) {
        case "json":
          ctx.stdout.write(vulnMod.formatVulnJson(report));
          break;
        case "sarif":
          ctx.stdout.write(vulnMod.formatVulnSarif(report));
          break;
        case "cyclonedx":
          ctx.stdout.write(
            `${stableStringify(vulnMod.toCycloneDxWithVulnerabilities(sbom, findings, now, VERSION))}\n`,
          );
          break;
        case "openvex":
          ctx.stdout.write(
            `${stableStringify(vulnMod.toOpenVex(findings, { now, author: "palisade", product: sbom.subject.name }))}\n`,
          );
          break;
        default:
          ctx.stdout.write(vulnMod.formatVulnTable(report));
      }
      ctx.exitCode = failOn && vulnMod.failsAt(report, failOn) ? EXIT.FINDINGS : EXIT.OK;
    },
  );

  addImageOptions(
    program
      .command("sbom")
      .description("Generate an SBOM for an image or directory")
      .argument("<target>", "image (oci:DIR, docker-archive:FILE, registry reference) or directory")
      .addOption(outputOption(SBOM_OUTPUTS, "cyclonedx")),
  ).action(
    async (
      target: string,
      flags: { output: string; platform?: string; registryCa?: string; maxImageBytes?: string },
    ) => {
      const { sbom, coverage } = await loadSbom(target, undefined, flags, ctx);
      writeCoverage(ctx, coverage);
      const { toCycloneDx, toSpdx } = await import("../../../core/sbom/index.js");
      // json is Palisade's own SBOM model (packages with their layer of origin), the others are standards.
      const doc =
        flags.output === "spdx"
          ? toSpdx(sbom, { now: ctx.now(), toolVersion: VERSION })
          : flags.output === "json"
            ? sbom
            : toCycloneDx(sbom, { now: ctx.now(), toolVersion: VERSION });
      ctx.stdout.write(`${stableStringify(doc)}\n`);
      ctx.exitCode = EXIT.OK;
    },
  );
}
