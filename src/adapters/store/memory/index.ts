/** The in-memory backend: for tests, one-shot runs, and as the contract suites' reference. */

import type { Stores } from "../ports.js";
import { MemoryAlertStore } from "./alerts.js";
import { MemoryBaselineStore } from "./baselines.js";
import { MemoryAdmissionDecisionStore } from "./decisions.js";
import { MemoryKnownImageStore, MemoryRemediationStore } from "./lineage.js";
import {
  MemoryAuditStore,
  MemoryExceptionStore,
  MemoryFindingStore,
  MemorySnapshotStore,
  MemoryTokenStore,
} from "./platform.js";
import { MemoryVulnStore } from "./vulns.js";

export {
  MemoryAdmissionDecisionStore,
  MemoryAuditStore,
  MemoryBaselineStore,
  MemoryExceptionStore,
  MemoryFindingStore,
  MemoryKnownImageStore,
  MemoryRemediationStore,
  MemorySnapshotStore,
  MemoryTokenStore,
  MemoryVulnStore,
};

/** A fresh, empty set of in-memory stores; `location` names it in messages. */
export function openMemoryStores(location = ":memory:"): Stores {
  let revision = 0;
  const changed = () => {
    revision++;
  };
  return {
    location,
    vulns: new MemoryVulnStore(changed),
    images: new MemoryKnownImageStore(changed),
    remediation: new MemoryRemediationStore(changed),
    snapshots: new MemorySnapshotStore(changed),
    findings: new MemoryFindingStore(changed),
    audit: new MemoryAuditStore(),
    tokens: new MemoryTokenStore(),
    exceptions: new MemoryExceptionStore(),
    baselines: new MemoryBaselineStore(),
    alerts: new MemoryAlertStore(),
    admissionDecisions: new MemoryAdmissionDecisionStore(),
    async revision() {
      return String(revision);
    },
    async close() {},
  };
}
