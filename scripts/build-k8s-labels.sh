#!/usr/bin/env bash
# Builds test/k8s-labels (k8s.io/apimachinery's label selector validation and matching, pinned by its go.mod) into
# a cache directory keyed by the module's content, for src/core/k8s/selector.differential.test.ts.
#
#   scripts/build-k8s-labels.sh    build if not cached; print the path of the binary
#
# Cache: ${PALISADE_TEST_CACHE:-$HOME/.cache/palisade-test}/k8s-labels-<hash of main.go, go.mod, go.sum>/k8s-labels
# Needs Go (on PATH or at /usr/local/go) and the Go module proxy or a filled module cache; exits 1 saying which is
# missing.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
mod="$here/test/k8s-labels"
hash="$(cat "$mod/main.go" "$mod/go.mod" "$mod/go.sum" | sha256sum | cut -c1-12)"
out="${PALISADE_TEST_CACHE:-$HOME/.cache/palisade-test}/k8s-labels-$hash"
if [ -x "$out/k8s-labels" ]; then
  echo "$out/k8s-labels"
  exit 0
fi
go_bin="$(command -v go || true)"
[ -z "$go_bin" ] && [ -x /usr/local/go/bin/go ] && go_bin=/usr/local/go/bin/go
if [ -z "$go_bin" ]; then
  echo "build-k8s-labels: no Go toolchain: install Go (https://go.dev/dl/) or put it on PATH; the label selector differential test runs k8s.io/apimachinery built from test/k8s-labels" >&2
  exit 1
fi
mkdir -p "$out"
# GOTOOLCHAIN=local: never download another toolchain. -mod=readonly: go.sum is the pin.
if ! (cd "$mod" && GOTOOLCHAIN=local GOFLAGS=-mod=readonly CGO_ENABLED=0 "$go_bin" build -o "$out/k8s-labels.tmp" . >"$out/build.log" 2>&1); then
  echo "build-k8s-labels: go build failed in $mod (module proxy unreachable or module cache empty?):" >&2
  tail -20 "$out/build.log" >&2
  exit 1
fi
mv "$out/k8s-labels.tmp" "$out/k8s-labels"
echo "$out/k8s-labels"
