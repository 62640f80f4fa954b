import type { Command } from "commander";
import type { AdmissionPolicy } from "../../../core/admission/index.js";
import { PalisadeError } from "../../../core/errors/index.js";
import type { CliContext } from "../context.js";
import { storesDbOption } from "../db-location.js";
import { EXIT } from "../exit-codes.js";
import { addInputOptions, type InputOptions, inventoryInputs } from "../inputs.js";
import { outputOption } from "../options.js";
import { formatColumns, writeCoverage, writeText } from "../text.js";

const HELP_SERVE = `
Serves POST /validate (and /mutate when the policy sets mutation.resolveTags), GET /healthz, /readyz and
/metrics over HTTPS. Namespace labels come from --namespaces (manifests) or a watch through --kubeconfig,
never from a request per review. Image facts (known digests, vulnerabilities, closed remediation records)
come from the store (--db), cached for --cache-ttl with at most --cache-size images. The certificate and key
are reloaded when the files change, and so is the policy (a policy that does not load keeps the old one).
Decisions are recorded in the store in the background (--decisions-retention, --decisions-max). Without
--policy, Pod Security is exactly what each namespace's pod-security.kubernetes.io labels say and nothing
else acts. Signatures the policy requires are read from each image's registry (cosign's .sig tag, OCI
referrers; --registry-auth, --registry-ca) and --signatures DIR, verified offline, cached like image facts;
a fetch that fails or outlives --deadline is answered by the policy's failurePolicy.`;

/** Rounds of the synthetic reviews decided before the webhook listens (3 reviews a round). */
const WARM_UP_ROUNDS = 400;

const HELP_TEST = `
Decides every Pod and workload in the input as the webhook would decide its CREATE (the same code path);
Namespaces in the input supply their labels. Signatures the policy requires are read from each image's
registry and --signatures DIR as the webhook reads them. Exit 1 when any is denied, 2 on usage or input errors.`;

interface ServeFlags {
  listen: string;
  tlsCert: string;
  tlsKey: string;
  policy?: string;
  namespaces?: string[];
  kubeconfig?: string;
  context?: string;
  db?: string;
  deadline: string;
  maxInFlight: string;
  shedAfter: string;
  cacheTtl: string;
  cacheSize: string;
  record?: string;
  cluster?: string;
  signatures?: string;
  decisionsRetention: string;
  decisionsMax: string;
  analyzeUnknown?: boolean;
  analysisConcurrency: string;
  registryAuth?: string;
  registryCa?: string;
  maxImageBytes?: string;
  dangerouslyAllowHttp?: boolean;
  signatureTimeout: string;
}

interface InstallFlags {
  print?: boolean;
  namespace: string;
  name: string;
  image: string;
  tlsCert: string;
  tlsSecret: string;
  policy?: string;
  failurePolicy?: string;
  timeoutSeconds: string;
  mutate?: boolean;
  cluster?: string;
}

interface TestFlags extends InputOptions {
  policy?: string;
  signatures?: string;
  output: string;
  db?: string;
  registryAuth?: string;
  registryCa?: string;
  dangerouslyAllowHttp?: boolean;
  signatureTimeout: string;
}

const SIGNATURES_HELP =
  "Sigstore bundles by digest (<alg>-<hex>.sigstore.json) for the policy's signatures, beside the registry's";
const SIGNATURE_TIMEOUT_HELP = "the whole registry fetch of one image's signatures";

const EMPTY_ANALYSIS = { queued: 0, inFlight: 0, analyzed: 0, failed: 0, dropped: 0 };

const positiveInt = (v: string, flag: string): number => {
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n <= 0)
    throw new PalisadeError("USAGE", `${flag} must be a positive integer`);
  return n;
};

/** "60s", "2m", "12h", "7d", "500ms" or plain milliseconds. */
const durationMs = (v: string, flag: string): number => {
  const m = /^(\d+)(ms|s|m|h|d)?$/.exec(v.trim());
  if (!m) throw new PalisadeError("USAGE", `${flag}: expected a duration like 500ms, 30s, 2m, 12h or 7d`);
  const n = Number(m[1]);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] ?? "ms"] ?? 1;
  return n * unit;
};

/** Where signatures come from besides the policy: the bundles directory and how registries are read. */
interface SignatureSetup {
  /** --signatures DIR, relative to the cwd. */
  dir?: string | undefined;
  /** --registry-auth FILE. */
  registryAuth?: string | undefined;
  /** --registry-ca FILE. */
  registryCa?: string | undefined;
  dangerouslyAllowHttp?: boolean | undefined;
  /** --signature-timeout: the whole registry fetch of one image's signatures. */
  timeoutMs: number;
  /** How long a verification (and the registry's answer) is kept, and how many; a failed fetch at most 10 s. */
  cache?: { ttlMs: number; maxEntries: number } | undefined;
  /** Counters shared by the verifiers of every policy generation (serve's /metrics). */
  stats?: import("../../../adapters/signatures/index.js").SignatureStats | undefined;
}

type FactsLookup = import("../../../services/admission/index.js").ImageFactsLookup;

/**
 * The policy (default: the namespace labels only) and the image-facts lookup with signatures verified when the
 * policy requires them (from the images' registries and --signatures DIR, by keys and trusted roots the policy
 * names).
 */
async function loadPolicy(
  path: string | undefined,
  ctx: CliContext,
  /** null: signatures are not verified here (install only reads the policy's failure policy and mutation). */
  setup?: SignatureSetup | null,
): Promise<{
  policy: AdmissionPolicy;
  /** The files read (policy, exceptions, keys): what serve watches. */
  files: string[];
  withSignatures: (lookup: FactsLookup) => FactsLookup;
}> {
  const { DEFAULT_ADMISSION_POLICY } = await import("../../../core/admission/index.js");
  if (path === undefined) return { policy: DEFAULT_ADMISSION_POLICY, files: [], withSignatures: (l) => l };
  const { readConfigFile } = await import("../../../adapters/config/index.js");
  const admission = await import("../../../services/admission/index.js");
  const { policy, keyFiles, trustedRootFiles, files, signaturesFromDir } =
    await admission.loadAdmissionPolicy(path, (p) => readConfigFile(p, ctx.cwd));
  if (!policy.signatures?.length || setup === null || setup === undefined)
    return { policy, files, withSignatures: (l) => l };
  const signaturesDir = setup.dir;
  if (signaturesDir === undefined && signaturesFromDir.length > 0)
    throw new PalisadeError(
      "USAGE",
      `the policy reads signatures from the bundles directory only (from: dir): name it with --signatures DIR\n  ${signaturesFromDir.join("\n  ")}`,
    );
  const { readFileSync } = await import("node:fs");
  const { resolve } = await import("node:path");
  const keys: Record<string, string> = {};
  for (const [name, file] of Object.entries(keyFiles)) {
    try {
      keys[name] = readFileSync(resolve(ctx.cwd, file), "utf8");
    } catch (e) {
      throw new PalisadeError("INPUT", `cannot read key: ${(e as Error).message}`, { context: { file } });
    }
  }
  const { readRegularText } = await import("../../../adapters/fs/index.js");
  const trustedRoots: Record<string, string> = {};
  for (const [name, file] of Object.entries(trustedRootFiles))
    trustedRoots[name] = await readRegularText(resolve(ctx.cwd, file), {
      maxBytes: 4 * 1024 * 1024,
      what: "trusted root",
    });
  const { createSignatureVerifier } = await import("../../../adapters/signatures/index.js");
  const registry = policy.signatures.some((s) => s.from !== "dir")
    ? await registryReading(setup, ctx)
    : undefined;
  const verifier = await createSignatureVerifier({
    bundlesDir: signaturesDir === undefined ? undefined : resolve(ctx.cwd, signaturesDir),
    keys,
    trustedRoots,
    registry,
    stats: setup.stats,
    cache: setup.cache ? { ...setup.cache, clock: () => performance.now() } : undefined,
  });
  return {
    policy,
    files,
    withSignatures: (l) => admission.withSignatures(l, policy, (d, k, at) => verifier.verify(d, k, at)),
  };
}

/** How the verifier reads registries: credentials per host, extra CAs, plain http only when allowed. */
async function registryReading(
  setup: SignatureSetup,
  ctx: CliContext,
): Promise<import("../../../adapters/signatures/index.js").RegistrySignatureOptions> {
  const { resolve } = await import("node:path");
  const ki = await import("../../../adapters/known-images/index.js");
  const auth = setup.registryAuth
    ? await ki.loadRegistryAuthFile(resolve(ctx.cwd, setup.registryAuth))
    : undefined;
  for (const c of auth?.coverage ?? []) ctx.stderr.write(`palisade: ${c.message}\n`);
  const ca = setup.registryCa
    ? await (await import("../../../adapters/image/index.js")).loadRegistryCaFile(
        resolve(ctx.cwd, setup.registryCa),
      )
    : undefined;
  return {
    options: (registry) => ({
      auth: ki.registryAuthFor(auth, registry),
      ca,
      dangerouslyAllowHttp: setup.dangerouslyAllowHttp === true,
      timeoutMs: setup.timeoutMs,
    }),
    fetchTimeoutMs: setup.timeoutMs,
    errorTtlMs: Math.min(setup.cache?.ttlMs ?? 10_000, 10_000),
  };
}

export function register(program: Command, ctx: CliContext): void {
  const admission = program
    .command("admission")
    .description("Admission control: the validating webhook, its install manifests and the offline check");

  const serve = admission
    .command("serve")
    .description("Run the admission webhook (HTTPS)")
    .option("--listen <host:port>", "address to listen on", "0.0.0.0:8443")
    .requiredOption("--tls-cert <file>", "server certificate (PEM), reloaded when it changes")
    .requiredOption("--tls-key <file>", "server key (PEM), reloaded when it changes")
    .option("--policy <file>", "admission policy (palisade.dev/v1alpha1 AdmissionPolicy)")
    .option(
      "--namespaces <path>",
      "Namespace manifests supplying labels (repeatable)",
      (v: string, p: string[] = []) => [...p, v],
    )
    .option(
      "--kubeconfig <path>",
      "watch Namespaces through this kubeconfig ('in-cluster': the pod's service account)",
    )
    .option("--context <name>", "kubeconfig context")
    .option(
      "--deadline <duration>",
      "answer every review within this time, by the failure policy if need be",
      "2s",
    )
    .option(
      "--max-in-flight <n>",
      "reviews evaluated at once; more are answered by the failure policy",
      "512",
    )
    .option(
      "--shed-after <duration>",
      "answer a review that waited this long for the event loop by the failure policy (load shed), without deciding it",
      "250ms",
    )
    .option("--cache-ttl <duration>", "how long store facts stay fresh", "60s")
    .option("--cache-size <n>", "images kept in the fact cache", "10000")
    .option("--record <file>", "also append every decision to this file (JSON lines)")
    .option(
      "--cluster <name>",
      "the cluster's name in the fleet, on every decision recorded (for webhooks of several clusters sharing a database)",
    )
    .option("--decisions-retention <duration>", "keep decisions recorded in the store this long", "7d")
    .option("--decisions-max <n>", "keep at most this many decisions in the store", "1000000")
    .option(
      "--analyze-unknown",
      "pull and analyse the images reviews name that the store does not know (in the background)",
    )
    .option("--analysis-concurrency <n>", "images analysed at once", "2")
    .option("--registry-auth <file>", 'registry credentials for analysis: a Docker config.json with "auths"')
    .option("--registry-ca <file>", "extra CA certificates (PEM) for registries")
    .option("--max-image-bytes <size>", "largest image analysed")
    .option("--dangerously-allow-http", "allow plain-http registries that are not on loopback")
    .option("--signatures <dir>", SIGNATURES_HELP)
    .option("--signature-timeout <duration>", SIGNATURE_TIMEOUT_HELP, "10s")
    .addHelpText("after", HELP_SERVE);
  serve.addOption(storesDbOption(ctx));
  serve.action(async (flags: ServeFlags) => runServe(flags, ctx));

  admission
    .command("install")
    .description("Print the webhook configurations, Deployment, Service and PodDisruptionBudget")
    .option("--print", "print the manifests (the only mode: apply them with kubectl)")
    .option("--namespace <ns>", "namespace the webhook runs in", "palisade-system")
    .option("--name <name>", "name of the webhook's objects", "palisade-admission")
    .option("--image <ref>", "the Palisade image", "ghcr.io/palisade-dev/palisade:0.1.0")
    .requiredOption("--tls-cert <file>", "the serving certificate: its CA bundle goes into caBundle")
    .option(
      "--tls-secret <name>",
      "Secret (kubernetes.io/tls) holding the certificate and key",
      "palisade-admission-tls",
    )
    .option("--policy <file>", "policy: its failurePolicy and mutation are used")
    .option("--failure-policy <Fail|Ignore>", "overrides the policy's")
    .option("--timeout-seconds <n>", "the API server's timeout for one call (1-30)", "5")
    .option("--mutate", "also install the MutatingWebhookConfiguration (tags resolved to digests)")
    .option(
      "--cluster <name>",
      "the cluster's name in the fleet, passed to the webhook (admission serve --cluster)",
    )
    .action(async (flags: InstallFlags) => runInstall(flags, ctx));

  const test = admission
    .command("test")
    .description("Decide manifests offline exactly as the webhook would")
    .argument("[paths...]", "manifest files or directories ('-' for stdin)")
    .option("--policy <file>", "admission policy")
    .option("--signatures <dir>", SIGNATURES_HELP)
    .option(
      "--registry-auth <file>",
      'registry credentials for signatures: a Docker config.json with "auths"',
    )
    .option("--registry-ca <file>", "extra CA certificates (PEM) for registries")
    .option("--dangerously-allow-http", "allow plain-http registries that are not on loopback")
    .option("--signature-timeout <duration>", SIGNATURE_TIMEOUT_HELP, "30s")
    .addOption(outputOption(["table", "json"] as const, "table"))
    .addHelpText("after", HELP_TEST);
  addInputOptions(test);
  test.action(async (paths: string[], flags: TestFlags) => runTest(paths, flags, ctx));
}

async function runTest(paths: string[], flags: TestFlags, ctx: CliContext): Promise<void> {
  const { policy, withSignatures } = await loadPolicy(flags.policy, ctx, {
    dir: flags.signatures,
    registryAuth: flags.registryAuth,
    registryCa: flags.registryCa,
    dangerouslyAllowHttp: flags.dangerouslyAllowHttp,
    timeoutMs: durationMs(flags.signatureTimeout, "--signature-timeout"),
  });
  const { sources, readers } = await inventoryInputs(flags, paths, ctx);
  const { loadInventory } = await import("../../../services/inventory/index.js");
  const { admissionTest } = await import("../../../services/admission/index.js");
  const loaded = await loadInventory(sources, readers);
  const objects = loaded.inventory.objects.map((o) => o.raw);
  const report = await admissionTest(
    objects,
    policy,
    withSignatures(async () => new Map()),
  );
  const coverage = [...loaded.coverage, ...report.coverage];
  if (flags.output === "json")
    ctx.stdout.write(`${JSON.stringify({ decisions: report.decisions, coverage }, null, 2)}\n`);
  else {
    writeCoverage(ctx, coverage);
    const rows = [["NAMESPACE", "KIND", "NAME", "ALLOWED", "RULES"]];
    for (const d of report.decisions)
      rows.push([
        d.resource.namespace ?? "",
        d.resource.kind,
        d.resource.name,
        d.allowed ? "yes" : "no",
        [
          ...new Set(
            d.violations.map((v) => `${v.rule}(${v.exception ? `excepted:${v.exception.id}` : v.mode})`),
          ),
        ].join(" "),
      ]);
    ctx.stdout.write(`${formatColumns(rows)}\n`);
    for (const d of report.decisions) {
      if (d.message) writeText(ctx, `\ndenied: ${d.message}\n`);
      for (const w of d.warnings) writeText(ctx, `warning: ${d.resource.kind} ${d.resource.name}: ${w}\n`);
    }
  }
  ctx.exitCode = report.decisions.some((d) => !d.allowed) ? EXIT.FINDINGS : EXIT.OK;
}

async function runServe(flags: ServeFlags, ctx: CliContext): Promise<void> {
  const { readFileSync, watchFile, unwatchFile, appendFileSync, watch } = await import("node:fs");
  const { resolve, dirname, basename } = await import("node:path");
  const cluster = await clusterFlag(flags.cluster);
  const ttlMs = durationMs(flags.cacheTtl, "--cache-ttl");
  const cacheSize = positiveInt(flags.cacheSize, "--cache-size");
  const signatureStats = { hits: 0, misses: 0, fetches: 0, fetchErrors: 0, pastDeadline: 0 };
  const signatureSetup: SignatureSetup = {
    dir: flags.signatures,
    registryAuth: flags.registryAuth,
    registryCa: flags.registryCa,
    dangerouslyAllowHttp: flags.dangerouslyAllowHttp,
    timeoutMs: durationMs(flags.signatureTimeout, "--signature-timeout"),
    cache: { ttlMs, maxEntries: cacheSize },
    stats: signatureStats,
  };
  const initial = await loadPolicy(flags.policy, ctx, signatureSetup);
  const { policy } = initial;
  const m = /^(.*):(\d+)$/.exec(flags.listen);
  if (!m) throw new PalisadeError("USAGE", "--listen must be HOST:PORT");
  const host = (m[1] as string).replace(/^\[(.*)\]$/, "$1");
  const port = Number(m[2]);
  const deadlineMs = durationMs(flags.deadline, "--deadline");
  const maxInFlight = positiveInt(flags.maxInFlight, "--max-in-flight");
  const shedLagMs = durationMs(flags.shedAfter, "--shed-after");
  if (!flags.namespaces?.length && !flags.kubeconfig)
    throw new PalisadeError("USAGE", "namespace labels need --namespaces PATH or --kubeconfig FILE");
  const certPath = resolve(ctx.cwd, flags.tlsCert);
  const keyPath = resolve(ctx.cwd, flags.tlsKey);
  const readTls = () => ({ cert: readFileSync(certPath), key: readFileSync(keyPath) });

  // Namespace labels: from manifests once, or a watch-fed cache.
  let namespaceLabels: (ns: string) => Record<string, string> | undefined;
  let ready = () => true;
  let stopWatch = async () => {};
  if (flags.kubeconfig) {
    const { watchNamespaceLabels } = await import("../../../adapters/kube/index.js");
    const cache = await watchNamespaceLabels({
      kubeconfig: flags.kubeconfig === "in-cluster" ? "in-cluster" : resolve(ctx.cwd, flags.kubeconfig),
      context: flags.context,
      onError: (e) =>
        ctx.stderr.write(`palisade: namespace watch: ${e instanceof Error ? e.message : String(e)}\n`),
    });
    namespaceLabels = (ns) => cache.get(ns);
    ready = () => cache.synced();
    stopWatch = () => cache.stop();
  } else {
    const { sources, readers } = await inventoryInputs({ file: flags.namespaces ?? [] }, [], ctx);
    const { loadInventory } = await import("../../../services/inventory/index.js");
    const loaded = await loadInventory(sources, readers);
    writeCoverage(ctx, loaded.coverage);
    const labels = new Map<string, Record<string, string>>();
    for (const [name, info] of loaded.inventory.namespaces)
      if (info.object) labels.set(name, { ...info.labels });
    namespaceLabels = (ns) => labels.get(ns);
  }

  // Image facts: the store, through a bounded TTL cache; without a database every image is unknown.
  const { dbLocation } = await import("../db-location.js");
  const { openStores, MemoryAdmissionDecisionStore, offThreadDecisionWriter } = await import(
    "../../../adapters/store/index.js"
  );
  const { CachedImageFacts, loadImageFactsIndex } = await import("../../../services/admission/index.js");
  const stores = await openStores(dbLocation(flags.db, ctx), { create: false });
  const facts = new CachedImageFacts({
    load: () => loadImageFactsIndex(stores),
    ttlMs,
    maxEntries: cacheSize,
    clock: () => performance.now(),
  });
  // Images no review could find facts for: analysed in the background (--analyze-unknown) through the registry
  // image source, and remembered in the store; the fact cache then reloads.
  let analysis: import("../../../services/admission/index.js").AnalysisQueue | undefined;
  if (flags.analyzeUnknown) {
    const { AnalysisQueue } = await import("../../../services/admission/index.js");
    const ki = await import("../../../adapters/known-images/index.js");
    const { imageAnalyzeOptions } = await import("../image-options.js");
    const auth = flags.registryAuth
      ? await ki.loadRegistryAuthFile(resolve(ctx.cwd, flags.registryAuth))
      : undefined;
    for (const c of auth?.coverage ?? []) ctx.stderr.write(`palisade: ${c.message}\n`);
    const { ca, budgets } = await imageAnalyzeOptions(
      { registryCa: flags.registryCa, maxImageBytes: flags.maxImageBytes },
      ctx,
    );
    analysis = new AnalysisQueue({
      analyze: ki.registryAnalyzer({
        platform: "linux/amd64",
        auth,
        ca,
        budgets,
        dangerouslyAllowHttp: flags.dangerouslyAllowHttp === true,
      }),
      images: stores.images,
      concurrency: positiveInt(flags.analysisConcurrency, "--analysis-concurrency"),
      maxQueued: 10_000,
      retryAfterMs: 10 * 60_000,
      clock: () => performance.now(),
      now: () => ctx.now(),
      log: (line) => ctx.stderr.write(`palisade: ${line}\n`),
      onAnalyzed: () => facts.invalidate(),
    });
  }
  const sourcesFor = (loaded: Awaited<ReturnType<typeof loadPolicy>>) => ({
    namespaceLabels,
    imageFacts: loaded.withSignatures((images: readonly string[]) => facts.get(images)),
    ...(analysis ? { queueForAnalysis: (images: readonly string[]) => analysis?.enqueue(images) } : {}),
  });

  const { createWebhook } = await import("../../webhook/index.js");
  const { PolicyReloader, DecisionRecorder, decisionRecord } = await import(
    "../../../services/admission/index.js"
  );
  // Decisions go to the store in batches, off the review's path (a slow store drops and counts, never slows).
  // Without a database file the stores are in this process's memory, where nothing can read the decisions back and
  // retention (up to --decisions-max, a million) would let them grow to gigabytes: they are not recorded then.
  const recordable = !(stores.admissionDecisions instanceof MemoryAdmissionDecisionStore);
  if (!recordable)
    ctx.stderr.write(
      `palisade: no database at ${stores.location}: admission decisions are not recorded (--db names one)\n`,
    );
  // A SQLite file is written by a worker thread with its own connection: an INSERT of a decision (5-15 KiB) is
  // synchronous, and on this thread every review waited behind it. This thread only serialises the rows.
  const writer = recordable ? offThreadDecisionWriter(stores) : undefined;
  const recorder = new DecisionRecorder({
    store: writer ?? stores.admissionDecisions,
    // A buffered decision keeps its messages (about 10 KiB for a review with dozens of violations): 10,000 is ten
    // seconds at 1,000 reviews/s and about 100 MiB. Batches of 25 go to the store one after another, the loop
    // running between them. The off-thread writer queues what it is posted: batches go to it every 20 ms without
    // waiting for the one before (up to 8), so a decision leaves this thread's heap within a few young-generation
    // collections instead of being promoted and walked by the major ones (which held the loop tens of ms). Another
    // store writes one batch at a time, in order, every 200 ms.
    maxBuffered: 10_000,
    batchSize: 25,
    flushEveryMs: writer ? 20 : 200,
    maxBatchesInFlight: writer ? 8 : 1,
    retention: {
      maxAgeMs: durationMs(flags.decisionsRetention, "--decisions-retention"),
      maxCount: positiveInt(flags.decisionsMax, "--decisions-max"),
    },
    pruneEveryMs: 60_000,
    // A step of 500 rows holds the store's write lock a few milliseconds (the writer's thread, or PostgreSQL);
    // the loop runs between steps.
    pruneChunk: 500,
    now: () => ctx.now(),
    log: (line) => ctx.stderr.write(`palisade: ${line}\n`),
  });
  const record = flags.record ? resolve(ctx.cwd, flags.record) : undefined;
  // The policy file (and its exceptions and key files) reloaded on change: a watch on their directories (an
  // editor's rename and a ConfigMap's `..data` symlink swap are both events there), debounced; a file that does not
  // load keeps the old policy (the reloader logs, counts and reports it).
  let watchers: { close(): void }[] = [];
  let hook: ReturnType<typeof createWebhook> | undefined;
  const reloader = new PolicyReloader({
    load: () => loadPolicy(flags.policy, ctx, signatureSetup),
    apply: (loaded) => {
      hook?.setPolicy(loaded.policy, sourcesFor(loaded));
      watchPolicyFiles(loaded.files);
    },
    debounceMs: 300,
    now: () => ctx.now(),
    log: (line) =>
      ctx.stderr.write(`palisade: ${line}
`),
  });
  const watchPolicyFiles = (files: readonly string[]) => {
    for (const w of watchers) w.close();
    watchers = [];
    const byDir = new Map<string, Set<string>>();
    for (const f of files) {
      const abs = resolve(ctx.cwd, f);
      const names = byDir.get(dirname(abs)) ?? new Set<string>();
      names.add(basename(abs));
      byDir.set(dirname(abs), names);
    }
    for (const [dir, names] of byDir) {
      try {
        const w = watch(dir, { persistent: false }, (_event, name) => {
          // Only our files, or a ConfigMap volume's `..data`/`..<timestamp>` swap; a null name is "something".
          if (name === null || names.has(name) || name.startsWith("..")) reloader.changed();
        });
        w.on("error", (e) =>
          ctx.stderr.write(`palisade: policy watch on ${dir}: ${e.message}
`),
        );
        watchers.push(w);
      } catch (e) {
        ctx.stderr.write(`palisade: cannot watch ${dir} for policy changes: ${(e as Error).message}
`);
      }
    }
  };
  if (flags.policy !== undefined) watchPolicyFiles(initial.files);
  // Before listening: a fresh replica's first seconds at full load would otherwise run the decision unoptimised.
  const { warmDecisions } = await import("../../../services/admission/index.js");
  const warmStart = performance.now();
  const warmed = warmDecisions(policy, WARM_UP_ROUNDS);
  ctx.stderr.write(
    `palisade: decision path warmed: ${warmed.decided} synthetic reviews in ${Math.round(performance.now() - warmStart)} ms\n`,
  );
  hook = createWebhook({
    tls: readTls(),
    policy,
    sources: sourcesFor(initial),
    limits: { deadlineMs, maxInFlight, shedLagMs },
    mutate: policy.mutation?.resolveTags === true,
    ready,
    policyStatus: flags.policy === undefined ? undefined : () => reloader.status(),
    cacheStats: () => facts.stats,
    signatureStats: () => signatureStats,
    recorderStats: recordable ? () => recorder.stats() : undefined,
    analysisStats: analysis ? () => analysis?.stats() ?? EMPTY_ANALYSIS : undefined,
    onDecision: (d, endpoint, request) => {
      if (recordable) recorder.record(decisionRecord(d, request, endpoint, ctx.now(), cluster));
      if (!record) return;
      const line = {
        at: ctx.now().toISOString(),
        ...(cluster === "" ? {} : { cluster }),
        endpoint,
        uid: d.uid,
        allowed: d.allowed,
        evaluated: d.evaluated,
        message: d.status?.message,
        warnings: d.warnings,
        violations: d.violations,
      };
      try {
        appendFileSync(record, `${JSON.stringify(line)}\n`);
      } catch (e) {
        ctx.stderr.write(`palisade: cannot record decision: ${(e as Error).message}\n`);
      }
    },
  });
  const reload = () => {
    try {
      hook.reloadTls(readTls());
      ctx.stderr.write("palisade: TLS certificate reloaded\n");
    } catch (e) {
      ctx.stderr.write(`palisade: TLS reload failed, keeping the old certificate: ${(e as Error).message}\n`);
    }
  };
  watchFile(certPath, { interval: 1000 }, reload);
  watchFile(keyPath, { interval: 1000 }, reload);
  await new Promise<void>((ok, fail) => {
    hook.server.once("error", fail);
    hook.server.listen(port, host, () => ok());
  });
  const addr = hook.server.address();
  const shown = typeof addr === "object" && addr ? `${addr.address}:${addr.port}` : flags.listen;
  ctx.stderr.write(`palisade admission webhook listening on https://${shown}\n`);
  await new Promise<void>((done) => {
    const stop = () => {
      unwatchFile(certPath);
      unwatchFile(keyPath);
      reloader.stop();
      for (const w of watchers) w.close();
      hook.stop();
      hook.server.close(() => done());
      hook.server.closeAllConnections();
    };
    process.once("SIGTERM", stop);
    process.once("SIGINT", stop);
  });
  await stopWatch();
  await analysis?.close();
  await recorder.close();
  await writer?.close();
  await stores.close();
}

async function runInstall(flags: InstallFlags, ctx: CliContext): Promise<void> {
  if (!flags.print)
    throw new PalisadeError(
      "USAGE",
      "install only prints manifests: run with --print and apply them with kubectl",
    );
  const { readFileSync } = await import("node:fs");
  const { resolve } = await import("node:path");
  const { yamlDocuments } = await import("../yaml-out.js");
  const { admissionInstallManifests } = await import("../../webhook/index.js");
  const { policy } = await loadPolicy(flags.policy, ctx, null);
  const failurePolicy = flags.failurePolicy ?? policy.failurePolicy;
  if (failurePolicy !== "Fail" && failurePolicy !== "Ignore")
    throw new PalisadeError("USAGE", "--failure-policy must be Fail or Ignore");
  const cluster = await clusterFlag(flags.cluster);
  const timeoutSeconds = positiveInt(flags.timeoutSeconds, "--timeout-seconds");
  if (timeoutSeconds > 30) throw new PalisadeError("USAGE", "--timeout-seconds must be at most 30");
  const cert = readFileSync(resolve(ctx.cwd, flags.tlsCert), "utf8");
  if (!cert.includes("-----BEGIN CERTIFICATE-----"))
    throw new PalisadeError("INPUT", "not a PEM certificate", { context: { file: flags.tlsCert } });
  const docs = admissionInstallManifests({
    namespace: flags.namespace,
    name: flags.name,
    image: flags.image,
    caBundle: Buffer.from(cert).toString("base64"),
    tlsSecret: flags.tlsSecret,
    failurePolicy,
    timeoutSeconds,
    mutate: flags.mutate === true || policy.mutation?.resolveTags === true,
    policyFile: flags.policy !== undefined,
    cluster,
  });
  ctx.stdout.write(yamlDocuments(docs));
}

/** `--cluster`: a fleet cluster name (a DNS label), or "" when not given; USAGE otherwise. */
async function clusterFlag(v: string | undefined): Promise<string> {
  if (v === undefined) return "";
  const { CLUSTER_NAME } = await import("../../../core/deltas/index.js");
  if (!CLUSTER_NAME.test(v))
    throw new PalisadeError(
      "USAGE",
      `--cluster ${JSON.stringify(v)}: lowercase letters, digits, '.', '_', '-' (at most 63, alphanumeric at both ends)`,
    );
  return v;
}
