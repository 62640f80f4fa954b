/**
 * Use case: load an admission policy file. Reading (size cap, alias cap, prototype keys, line positions) is the
 * configuration reader's job, handed in; validating the schema, loading the exceptions the policy names (the
 * exceptions file format, relative to the policy) and refusing a policy with any error is this one's.
 */
import {
  type AdmissionPolicy,
  admissionPolicyFromFile,
  formatPolicyIssue,
  parseAdmissionPolicyFile,
} from "../../core/admission/index.js";
import { PalisadeError } from "../../core/errors/index.js";
import type { Exception } from "../../core/exceptions/index.js";
import { type ConfigReader, exceptionsFromDocument } from "../exceptions/index.js";

export interface LoadedAdmissionPolicy {
  policy: AdmissionPolicy;
  /** Key files the signature requirements name (as written) -> the path, relative to the policy file resolved. */
  keyFiles: Record<string, string>;
  /** TrustedRoot files the keyless requirements name (as written) -> the path, relative to the policy resolved. */
  trustedRootFiles: Record<string, string>;
  /** Every file the policy was read from (the policy, its exceptions file, key and trusted root files): what to watch. */
  files: string[];
  /**
   * The signature requirements that read the bundles directory only (`from: dir`), as `file:line: signatures[i]`:
   * the caller must name the directory for them.
   */
  signaturesFromDir: string[];
}

/** The directory part of a path as the user wrote it ("" for a bare file name). */
const dirOf = (p: string): string => {
  const i = p.lastIndexOf("/");
  return i < 0 ? "" : p.slice(0, i + 1);
};
/** A path named inside the policy: absolute as is, else relative to the policy file's directory. */
export const relativeToPolicy = (policyPath: string, p: string): string =>
  p.startsWith("/") ? p : `${dirOf(policyPath)}${p}`;

/**
 * Load and validate the policy at `path`. Throws one INPUT error listing every problem as `file:line: field:
 * message` (the policy, or the exceptions file it names): nothing of a policy with errors is applied.
 */
export async function loadAdmissionPolicy(path: string, read: ConfigReader): Promise<LoadedAdmissionPolicy> {
  const doc = await read(path);
  const { policy: file, issues } = parseAdmissionPolicyFile(doc.data, (p) => doc.lineOf(p));
  const problems = issues.map((i) => formatPolicyIssue(path, i));
  const files = [path];
  let exceptions: Exception[] = [];
  if (file.exceptions && "inline" in file.exceptions) exceptions = file.exceptions.inline;
  if (file.exceptions && "file" in file.exceptions) {
    const exPath = relativeToPolicy(path, file.exceptions.file);
    files.push(exPath);
    const loaded = exceptionsFromDocument(exPath, await read(exPath));
    exceptions = loaded.exceptions;
    for (const c of loaded.coverage)
      problems.push(`${c.location?.file ?? exPath}:${c.location?.line ?? 1}: ${c.message}`);
  }
  if (problems.length > 0)
    throw new PalisadeError("INPUT", `invalid admission policy:\n  ${problems.join("\n  ")}`, {
      context: { file: path, ...(issues[0]?.line === undefined ? {} : { line: issues[0].line }) },
    });
  const keyFiles: Record<string, string> = {};
  for (const s of file.signatures) for (const k of s.keys) keyFiles[k] = relativeToPolicy(path, k);
  const trustedRootFiles: Record<string, string> = {};
  for (const s of file.signatures)
    if (s.trustedRoot !== undefined) trustedRootFiles[s.trustedRoot] = relativeToPolicy(path, s.trustedRoot);
  for (const f of Object.values(keyFiles)) files.push(f);
  for (const f of Object.values(trustedRootFiles)) files.push(f);
  const signaturesFromDir: string[] = [];
  file.signatures.forEach((s, i) => {
    if (s.from !== "dir") return;
    // The line that made it read the directory: the rule's own `from`, else the global `signaturesFrom`.
    const data = doc.data as { signatures?: unknown[]; signaturesFrom?: unknown } | undefined;
    const rule = data?.signatures?.[i];
    const own = typeof rule === "object" && rule !== null && "from" in rule;
    const line = own
      ? doc.lineOf(["signatures", i, "from"])
      : data?.signaturesFrom !== undefined
        ? doc.lineOf(["signaturesFrom"])
        : doc.lineOf(["signatures", i]);
    signaturesFromDir.push(`${path}${line === undefined ? "" : `:${line}`}: signatures[${i}]`);
  });
  return {
    policy: admissionPolicyFromFile(file, exceptions),
    keyFiles,
    trustedRootFiles,
    files: [...new Set(files)],
    signaturesFromDir,
  };
}
