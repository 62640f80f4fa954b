/**
 * Use case: warm the decision path before a webhook says it is ready. Just after start, the decision runs in V8's
 * interpreter and baseline code; at 1,000 reviews/s on one core a fresh replica falls behind for its first
 * seconds (measured: latency up to 1.5 s, drained after about 5 s). Deciding synthetic reviews first (a privileged
 * Pod, a hardened Pod, a Deployment) gets the hot code optimised before the API server sends the first real one.
 * Pure: no store, no recording, no metrics, no image fact lookups (the synthetic images are unknown to the facts
 * given, so nothing is queued for analysis or fetched).
 */
import {
  type AdmissionFacts,
  type AdmissionPolicy,
  decide,
  parseAdmissionReview,
} from "../../core/admission/index.js";
import { reviewForCreate } from "./offline.js";

const NAMESPACE = "palisade-warm-up";

const container = (name: string, image: string, securityContext: Record<string, unknown>) => ({
  name,
  image,
  securityContext,
  resources: { limits: { cpu: "1", memory: "256Mi" } },
  ports: [{ containerPort: 8080 }],
});

const HARDENED = {
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: true,
  runAsNonRoot: true,
  capabilities: { drop: ["ALL"] },
  seccompProfile: { type: "RuntimeDefault" },
};

/** Objects that exercise Pod Security, posture and image rules both ways (violations and passes). */
function samples(): Record<string, unknown>[] {
  const meta = (name: string) => ({ name, namespace: NAMESPACE, labels: { app: name } });
  const risky = {
    hostNetwork: true,
    containers: [
      container("app", "registry.example/warm-up/app:latest", { privileged: true, runAsUser: 0 }),
      container("sidecar", "registry.example/warm-up/sidecar", { capabilities: { add: ["NET_ADMIN"] } }),
    ],
    volumes: [{ name: "host", hostPath: { path: "/var/run" } }],
  };
  const hardened = {
    securityContext: { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } },
    containers: [container("app", `registry.example/warm-up/app@sha256:${"0".repeat(64)}`, HARDENED)],
  };
  return [
    { apiVersion: "v1", kind: "Pod", metadata: meta("risky"), spec: risky },
    { apiVersion: "v1", kind: "Pod", metadata: meta("hardened"), spec: hardened },
    {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: meta("web"),
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: "web" } },
        template: { metadata: { labels: { app: "web" } }, spec: risky },
      },
    },
  ];
}

/**
 * Decide `rounds` times each synthetic review under `policy`, in a namespace labelled for the restricted Pod
 * Security level (so Pod Security runs even without a policy); answers how many reviews were decided and how many
 * violations they found (the rules ran).
 */
export function warmDecisions(
  policy: AdmissionPolicy,
  rounds: number,
): { decided: number; violations: number } {
  const facts: AdmissionFacts = {
    namespaceLabels: {
      "kubernetes.io/metadata.name": NAMESPACE,
      "pod-security.kubernetes.io/enforce": "restricted",
      "pod-security.kubernetes.io/warn": "restricted",
    },
    images: new Map(),
  };
  const requests = samples().flatMap((o, i) => {
    const parsed = parseAdmissionReview(reviewForCreate(o, `palisade-warm-up-${i}`));
    return parsed.ok ? [parsed.request] : [];
  });
  let decided = 0;
  let violations = 0;
  for (let r = 0; r < rounds; r++)
    for (const req of requests) {
      violations += decide(req, policy, facts).violations.length;
      decided++;
    }
  return { decided, violations };
}
