#!/usr/bin/env bash
# Builds a real kube-apiserver, kube-controller-manager and etcd from their Go modules (test/kube-apiserver/go.mod
# pins the releases) into a cache directory keyed by version, for the integration tests in
# test/integration/kube-*.test.ts (issue 13). kube-controller-manager runs only the controllers a cluster's API
# answers depend on (ClusterRole aggregation for admin/edit/view, ServiceAccounts): no nodes, no kubelet.
#
#   scripts/build-kube-apiserver.sh           build if not cached; print the directory holding the binaries
#   scripts/build-kube-apiserver.sh --print   print the directory if the binaries are cached; else print why not
#                                             (the last build's error, if one failed) on stderr and exit 1
#
# Cache: ${PALISADE_TEST_CACHE:-$HOME/.cache/palisade-test}/kube-<k8s version>-etcd-<etcd version>-<go.sum hash>/
# Needs Go >= the version in test/kube-apiserver/go.mod (found on PATH or at /usr/local/go) and the Go module proxy
# (or a filled module cache). Exits 1 with a message saying which of these is missing when the build is impossible.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
mod="$here/test/kube-apiserver"
BINARIES=(kube-apiserver kube-controller-manager etcd)

kube_version="$(awk '$1 == "k8s.io/kubernetes" && $2 ~ /^v/ { print $2 }' "$mod/go.mod")"
etcd_version="$(awk '$1 == "go.etcd.io/etcd/server/v3" && $2 ~ /^v/ { print $2 }' "$mod/go.mod")"
sum_hash="$(cat "$mod/go.mod" "$mod/go.sum" | sha256sum | cut -c1-12)"
cache_root="${PALISADE_TEST_CACHE:-$HOME/.cache/palisade-test}"
key="kube-$kube_version-etcd-$etcd_version-$sum_hash"
out="$cache_root/$key"
error_file="$cache_root/$key.error"

fail() {
  echo "build-kube-apiserver: $*" >&2
  mkdir -p "$cache_root" && echo "$*" >"$error_file" || true
  exit 1
}
[ -n "$kube_version" ] && [ -n "$etcd_version" ] || fail "cannot read the pinned versions from $mod/go.mod"

built=1
for b in "${BINARIES[@]}"; do [ -x "$out/$b" ] || built=0; done
if [ "$built" = 1 ]; then
  echo "$out"
  exit 0
fi
if [ "${1:-}" = "--print" ]; then
  if [ -s "$error_file" ]; then
    echo "kube-apiserver $kube_version / etcd $etcd_version could not be built: $(cat "$error_file") (retry: scripts/build-kube-apiserver.sh)" >&2
  else
    echo "kube-apiserver $kube_version / etcd $etcd_version are not built in $out: run scripts/build-kube-apiserver.sh (about an hour on 2 cores the first time)" >&2
  fi
  exit 1
fi

go_bin="$(command -v go || true)"
[ -z "$go_bin" ] && [ -x /usr/local/go/bin/go ] && go_bin=/usr/local/go/bin/go
[ -n "$go_bin" ] || fail "no Go toolchain: install Go (https://go.dev/dl/) or put it on PATH; the integration tests need kube-apiserver $kube_version and etcd $etcd_version built from source"
need_go="$(awk '$1 == "go" { print $2 }' "$mod/go.mod")"
have_go="$("$go_bin" env GOVERSION | sed 's/^go//')"
if [ "$(printf '%s\n%s\n' "$need_go" "$have_go" | sort -V | head -n1)" != "$need_go" ]; then
  fail "Go $have_go at $go_bin is older than the $need_go that kube-apiserver $kube_version needs"
fi

# GOTOOLCHAIN=local: never download another toolchain behind the user's back. GOFLAGS=-mod=readonly: go.sum is the
# pin; a build that wants to change it is a failure, not a silent upgrade.
export GOTOOLCHAIN=local GOFLAGS=-mod=readonly CGO_ENABLED=0
mkdir -p "$cache_root"
tmp="$(mktemp -d "$cache_root/.build.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT

cd "$mod"
if ! "$go_bin" mod download >"$tmp/download.log" 2>&1; then
  tail -n 20 "$tmp/download.log" >&2
  fail "cannot download the Go modules for kube-apiserver $kube_version / etcd $etcd_version (is the module proxy $("$go_bin" env GOPROXY) reachable?)"
fi

start=$(date +%s)
minor="${kube_version#v1.}"; minor="${minor%%.*}"
pkg=k8s.io/component-base/version
ldflags="-s -w -X $pkg.gitVersion=$kube_version -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor -X $pkg.gitTreeState=clean"
echo "build-kube-apiserver: building kube-apiserver, kube-controller-manager $kube_version and etcd $etcd_version into $out (this takes a while)" >&2
build() { # name package ldflags
  if ! nice -n 10 "$go_bin" build -trimpath -ldflags "$3" -o "$tmp/$1" "$2" >"$tmp/build.log" 2>&1; then
    tail -n 30 "$tmp/build.log" >&2
    fail "go build of $2 failed (log above)"
  fi
  "$tmp/$1" --version >/dev/null 2>&1 || fail "the built $1 does not run"
}
build kube-apiserver k8s.io/kubernetes/cmd/kube-apiserver "$ldflags"
build kube-controller-manager k8s.io/kubernetes/cmd/kube-controller-manager "$ldflags"
build etcd go.etcd.io/etcd/server/v3 "-s -w"
rm -f "$tmp/build.log" "$tmp/download.log"
echo "$(( $(date +%s) - start ))" >"$tmp/build-seconds"
rm -rf "$out" "$error_file"
mv "$tmp" "$out"
trap - EXIT
echo "build-kube-apiserver: built in $(cat "$out/build-seconds") s" >&2
echo "$out"
