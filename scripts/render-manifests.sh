#!/usr/bin/env bash
# Renders deploy/manifests/palisade.yaml: the chart with its default values, as plain manifests for
# `kubectl apply -f`. test/deploy/chart.test.ts fails when the committed file differs from a fresh render.
#
#   scripts/render-manifests.sh           write deploy/manifests/palisade.yaml
#   scripts/render-manifests.sh --stdout  print it instead
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
helm_bin="$("$here/scripts/helm-path.sh")"
out="$here/deploy/manifests/palisade.yaml"
render() {
  cat <<'HEADER'
# Palisade: central service, sensor and admission webhook in namespace palisade-system (release "palisade").
# Rendered from deploy/helm/palisade with its default values by scripts/render-manifests.sh; do not edit.
# Before applying: create the namespace, the Secret palisade-database (key url: a postgres:// URL), and install
# cert-manager (the webhook's certificate); docs/deploy.md.
HEADER
  cd "$here" && "$helm_bin" template palisade deploy/helm/palisade --namespace palisade-system
}
if [ "${1:-}" = "--stdout" ]; then
  render
else
  render >"$out.tmp"
  mv "$out.tmp" "$out"
  echo "$out"
fi
