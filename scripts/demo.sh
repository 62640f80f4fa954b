#!/usr/bin/env bash
# The README's main job on the bundled demo: posture scan of a multi-team cluster, then the vulnerability
# response loop on the demo images (tree, blast radius, plan, and a remediation record closing when the fixed
# digest rolls out). Uses a throwaway embedded SQLite file; nothing to start by hand.
set -euo pipefail
cd "$(dirname "$0")/.."
palisade() { node "${PALISADE_CLI:-dist/cli/palisade.js}" "$@"; }
# Bold headings only on a terminal (never into a pipe or file); NO_COLOR turns them off, FORCE_COLOR on, as for
# palisade itself.
if [ -n "${NO_COLOR:-}" ]; then bold=0
elif [ -n "${FORCE_COLOR:-}" ] && [ "${FORCE_COLOR}" != 0 ] && [ "${FORCE_COLOR}" != false ]; then bold=1
elif [ -t 1 ]; then bold=1
else bold=0
fi
section() {
  if [ "$bold" = 1 ]; then printf '\n\033[1m== %s\033[0m\n\n' "$*"; else printf '\n== %s\n\n' "$*"; fi
}
D=examples/demo
# A throwaway database of the demo's own: never the user's default store, never a file left in the checkout.
demo_dir=$(mktemp -d "${TMPDIR:-/tmp}/palisade-demo.XXXXXX")
trap 'rm -rf "$demo_dir"' EXIT
export PALISADE_DB="$demo_dir/demo.db"

section "1. Posture: palisade scan $D/manifests (grouped by team; exceptions and owners applied)"
palisade scan "$D/manifests" --owners "$D/owners.yaml" --exceptions "$D/exceptions.yaml" -o table | {
  # The full report is long: show each team's top findings, then everything after them (suppressed, coverage, summary).
  awk '/^Team /{t=1; n=0} /^(Suppressed|Exceptions|Coverage|Not analysed|Summary)/{t=0}
       t && /^  [A-Z]+ +PAL-/{n++} !t || n<=3' ; } || true

section "2. Pod Security Standards by namespace labels"
palisade pss --namespaces "$D/manifests" -o table || true

section "3. Who can reach cluster-admin, and how"
palisade rbac paths --to cluster-admin -f "$D/manifests" -o table

section "4. Images: import advisories, analyse the demo images, print the image tree"
palisade vuln db import "$D/advisories"
while read -r dir ref _; do
  palisade images add "oci:$D/images/$dir" --ref "$ref" >/dev/null
done < "$D/images/refs.txt"
palisade images tree

section "5. Blast radius of CVE-2099-0001 in the 'before' snapshot"
palisade vuln impact CVE-2099-0001 --snapshot "$D/snapshots/before.json"

section "6. Remediation plan: top fixes per team and per base image"
palisade vuln plan --snapshot "$D/snapshots/before.json"

section "7. Rollout verification: the record closes when the fixed digest runs everywhere"
palisade vuln status --snapshot "$D/snapshots/before.json" --at 2025-03-01T09:00:00Z
palisade vuln status --snapshot "$D/snapshots/after.json" --at 2025-03-04T17:30:00Z
