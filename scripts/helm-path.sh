#!/usr/bin/env bash
# Provides a real helm for the chart tests (test/deploy/*.test.ts, issue 17): Debian's `helm` package when it is
# installed (Debian 12 has none: `apt-cache policy helm` finds no candidate), else helm built from its Go module at
# the pinned release into a cache directory keyed by version.
#
#   scripts/helm-path.sh           print the path of a helm binary; build it first if needed
#   scripts/helm-path.sh --print   print the path if helm is installed or cached; else say why not on stderr, exit 1
#
# Cache: ${PALISADE_TEST_CACHE:-$HOME/.cache/palisade-test}/helm-<version>/helm
# Needs Go >= the version helm's go.mod asks for (on PATH or at /usr/local/go) and the Go module proxy (or a filled
# module cache); exits 1 saying which is missing.
set -euo pipefail
HELM_MODULE=helm.sh/helm/v4
HELM_VERSION=v4.3.2
cache_root="${PALISADE_TEST_CACHE:-$HOME/.cache/palisade-test}"
out="$cache_root/helm-$HELM_VERSION"
error_file="$out.error"

fail() {
  echo "helm-path: $*" >&2
  mkdir -p "$cache_root" && echo "$*" >"$error_file" || true
  exit 1
}

# Debian's package, when installed, is preferred: it is what a developer's machine or CI has without a build.
if [ -x /usr/bin/helm ]; then
  echo /usr/bin/helm
  exit 0
fi
if [ -x "$out/helm" ]; then
  echo "$out/helm"
  exit 0
fi
if [ "${1:-}" = "--print" ]; then
  if [ -s "$error_file" ]; then
    echo "helm $HELM_VERSION could not be built: $(cat "$error_file") (retry: scripts/helm-path.sh)" >&2
  else
    echo "helm $HELM_VERSION is not built in $out: run scripts/helm-path.sh (a few minutes on 2 cores the first time)" >&2
  fi
  exit 1
fi

go_bin="$(command -v go || true)"
[ -z "$go_bin" ] && [ -x /usr/local/go/bin/go ] && go_bin=/usr/local/go/bin/go
[ -n "$go_bin" ] || fail "no Go toolchain: install Go (https://go.dev/dl/) or put it on PATH; the chart tests run helm $HELM_VERSION built from $HELM_MODULE"

mkdir -p "$cache_root"
tmp="$(mktemp -d "$cache_root/.helm-build.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
# GOTOOLCHAIN=local: never download another toolchain behind the user's back. `go install module@version` builds
# with the module's own go.mod and go.sum (-mod=mod lets it resolve them; the checksum database still verifies every
# module it downloads).
echo "helm-path: building helm $HELM_VERSION into $out" >&2
if ! GOTOOLCHAIN=local GOFLAGS=-mod=mod CGO_ENABLED=0 GOBIN="$tmp" nice -n 10 "$go_bin" install -trimpath \
  -ldflags "-s -w -X $HELM_MODULE/internal/version.version=$HELM_VERSION" \
  "$HELM_MODULE/cmd/helm@$HELM_VERSION" >"$tmp/build.log" 2>&1; then
  tail -n 30 "$tmp/build.log" >&2
  fail "go install $HELM_MODULE/cmd/helm@$HELM_VERSION failed with $("$go_bin" env GOVERSION) (module proxy $("$go_bin" env GOPROXY) unreachable, or Go too old?)"
fi
"$tmp/helm" version --template '{{.Version}}' 2>/dev/null | grep -qx "$HELM_VERSION" || fail "the built helm does not run or is not $HELM_VERSION"
rm -f "$tmp/build.log"
rm -rf "$out" "$error_file"
mv "$tmp" "$out"
trap - EXIT
echo "$out/helm"
