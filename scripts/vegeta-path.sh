#!/usr/bin/env bash
# Provides vegeta, the open-loop HTTP load generator that bench/admission.ts drives (issue 15: "load from a separate
# loopback process"): `vegeta` on PATH when installed, else vegeta built from its Go module at the pinned release
# into a cache directory keyed by version. Vegeta sends at a constant rate whatever the server's answers do (a new
# worker when none is free), so a slow answer never delays the requests behind it as a closed-loop client's would.
#
#   scripts/vegeta-path.sh           print the path of a vegeta binary; build it first if needed
#   scripts/vegeta-path.sh --print   print the path if vegeta is installed or cached; else say why not on stderr, exit 1
#
# Cache: ${PALISADE_TEST_CACHE:-$HOME/.cache/palisade-test}/vegeta-<version>/vegeta
# Needs Go >= the version vegeta's go.mod asks for (on PATH or at /usr/local/go) and the Go module proxy (or a filled
# module cache); exits 1 saying which is missing.
set -euo pipefail
VEGETA_MODULE=github.com/tsenart/vegeta/v12
VEGETA_VERSION=v12.13.0
cache_root="${PALISADE_TEST_CACHE:-$HOME/.cache/palisade-test}"
out="$cache_root/vegeta-$VEGETA_VERSION"
error_file="$out.error"

fail() {
  echo "vegeta-path: $*" >&2
  mkdir -p "$cache_root" && echo "$*" >"$error_file" || true
  exit 1
}

if command -v vegeta >/dev/null 2>&1; then
  command -v vegeta
  exit 0
fi
if [ -x "$out/vegeta" ]; then
  echo "$out/vegeta"
  exit 0
fi
if [ "${1:-}" = "--print" ]; then
  if [ -s "$error_file" ]; then
    echo "vegeta $VEGETA_VERSION could not be built: $(cat "$error_file") (retry: scripts/vegeta-path.sh)" >&2
  else
    echo "vegeta $VEGETA_VERSION is not built in $out: run scripts/vegeta-path.sh (a minute on 2 cores the first time)" >&2
  fi
  exit 1
fi

go_bin="$(command -v go || true)"
[ -z "$go_bin" ] && [ -x /usr/local/go/bin/go ] && go_bin=/usr/local/go/bin/go
[ -n "$go_bin" ] || fail "no Go toolchain: install Go (https://go.dev/dl/) or put it on PATH; the admission bench drives vegeta $VEGETA_VERSION built from $VEGETA_MODULE"

mkdir -p "$cache_root"
tmp="$(mktemp -d "$cache_root/.vegeta-build.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
# GOTOOLCHAIN=local: never download another toolchain behind the user's back. `go install module@version` builds
# with the module's own go.mod and go.sum (-mod=mod lets it resolve them; the checksum database still verifies every
# module it downloads).
echo "vegeta-path: building vegeta $VEGETA_VERSION into $out" >&2
if ! GOTOOLCHAIN=local GOFLAGS=-mod=mod CGO_ENABLED=0 GOBIN="$tmp" nice -n 10 "$go_bin" install -trimpath \
  -ldflags "-s -w -X main.Version=$VEGETA_VERSION" "$VEGETA_MODULE@$VEGETA_VERSION" >"$tmp/build.log" 2>&1; then
  tail -n 30 "$tmp/build.log" >&2
  fail "go install $VEGETA_MODULE@$VEGETA_VERSION failed with $("$go_bin" env GOVERSION) (module proxy $("$go_bin" env GOPROXY) unreachable, or Go too old?)"
fi
"$tmp/vegeta" -version >/dev/null 2>&1 || fail "the built vegeta does not run"
rm -f "$tmp/build.log"
rm -rf "$out" "$error_file"
mv "$tmp" "$out"
trap - EXIT
echo "$out/vegeta"
