/** Every store contract suite, run against one backend by `describeStoresContracts`. */

import { describeAdmissionDecisionStoreContract } from "./admission-decision-store.contract.js";
import { describeAlertStoreContract } from "./alert-store.contract.js";
import { describeAuditStoreContract } from "./audit-store.contract.js";
import { describeBaselineStoreContract } from "./baseline-store.contract.js";
import { describeChangeMarkContract } from "./change-mark.contract.js";
import { describeFindingStoreContract } from "./finding-store.contract.js";
import { describeKnownImageStoreContract } from "./known-image-store.contract.js";
import { describeRemediationStoreContract } from "./remediation-store.contract.js";
import { describeSnapshotStoreContract } from "./snapshot-store.contract.js";
import { describeStoreRevisionContract } from "./store-revision.contract.js";
import type { MakeStores } from "./stores.js";
import { describeExceptionStoreContract, describeTokenStoreContract } from "./token-store.contract.js";
import { describeVulnStoreContract } from "./vuln-store.contract.js";

export { bump, record } from "./records.js";
export { describeRemediationConcurrency } from "./remediation-store.contract.js";
export type { MakeStores } from "./stores.js";
export { describeVulnStoreContract, rec } from "./vuln-store.contract.js";

/**
 * The suite of every port against one backend: `make` opens a fresh, empty bundle; `changeMark` says whether the
 * backend has a cheap change mark (Stores.changeMark).
 */
export function describeStoresContracts(
  name: string,
  make: MakeStores,
  opts: { changeMark?: boolean } = {},
): void {
  describeVulnStoreContract(name, async () => {
    // The bundle's vulnerability store, closed with its bundle.
    const stores = await make();
    return Object.assign(Object.create(stores.vulns) as typeof stores.vulns, { close: () => stores.close() });
  });
  describeKnownImageStoreContract(name, make);
  describeRemediationStoreContract(name, make);
  describeSnapshotStoreContract(name, make);
  describeFindingStoreContract(name, make);
  describeAuditStoreContract(name, make);
  describeTokenStoreContract(name, make);
  describeExceptionStoreContract(name, make);
  describeBaselineStoreContract(name, make);
  describeAlertStoreContract(name, make);
  describeAdmissionDecisionStoreContract(name, make);
  describeChangeMarkContract(name, make, opts.changeMark === true);
  describeStoreRevisionContract(name, make);
}
