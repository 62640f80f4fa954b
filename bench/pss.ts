/**
 * PSS evaluation throughput: pods evaluated per second at restricted/latest.
 * Generates its own data (mixed compliant and failing pods); bounded to about 2 seconds.
 * Run: npx tsx bench/pss.ts
 */
import { evaluatePss } from "../src/core/pss/index.js";

function makePod(i: number): { annotations: Record<string, string>; spec: Record<string, unknown> } {
  const containers = Array.from({ length: 1 + (i % 4) }, (_, j) => ({
    name: `c${j}`,
    image: "registry.k8s.io/pause:3.9",
    ports: i % 7 === 0 ? [{ containerPort: 80, hostPort: 8080 }] : [{ containerPort: 80 }],
    securityContext:
      i % 3 === 0
        ? { privileged: true }
        : { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] }, runAsUser: 1000 + j },
  }));
  return {
    annotations: {
      "container.apparmor.security.beta.kubernetes.io/c0": i % 5 === 0 ? "unconfined" : "runtime/default",
    },
    spec: {
      securityContext: { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } },
      volumes: [{ name: "v", emptyDir: {} }],
      containers,
    },
  };
}

const pods = Array.from({ length: 10_000 }, (_, i) => makePod(i));
const budgetMs = 2_000;
let evaluated = 0;
let denied = 0;
const start = performance.now();
while (performance.now() - start < budgetMs) {
  for (const p of pods) {
    if (!evaluatePss({ annotations: p.annotations }, p.spec, "restricted", "latest").allowed) denied++;
    evaluated++;
  }
}
const seconds = (performance.now() - start) / 1000;
console.log(
  `pss restricted/latest: ${Math.round(evaluated / seconds)} pods/s (${evaluated} pods in ${seconds.toFixed(2)} s, ${denied} denied)`,
);
