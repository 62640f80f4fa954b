#!/usr/bin/env bash
# `npm test`: make sure what the tests need is here, then typecheck, lint and the whole Vitest suite.
#  - Debian packages the integration and differential tests run (reference tools, a registry, ...): installed when
#    missing and running as root; otherwise their names are printed, and with CI set the run fails here.
#  - PostgreSQL and NATS: started if installed and stopped (their tests fail naming them when unreachable with CI).
#  - kube-apiserver, kube-controller-manager and etcd for test/integration/kube-*: built once into
#    ~/.cache/palisade-test (scripts/build-kube-apiserver.sh; the first build takes minutes).
#  - helm for test/deploy/chart.test.ts: Debian's package when installed, else built once from its Go module into
#    ~/.cache/palisade-test (scripts/helm-path.sh).
#  - dist/: rebuilt from the sources (the e2e tests refuse a build older than them).
# Skipped tests are listed at the end of the run with what each needs; with CI set a skip fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive

APT_PACKAGES=(
  docker-registry   # real OCI registry for image-source tests
  umoci skopeo      # build and push test images
  python3-rpm       # rpm's own labelCompare, for differential version tests
  rpm db5.3-util    # rpmbuild and rpm (bdb_ro backend), libdb's db5.3_load: real rpm Berkeley DB databases
  libdpkg-perl      # dpkg's own Dpkg::Version, for differential version tests (one process, many pairs)
  python3-packaging # PEP 440 reference implementation
  apache2-utils     # htpasswd -B for registry basic auth tests; ab, a second load generator of bench/server-api.ts
  wrk               # the load generator of bench/server-api.ts (latency percentiles from a C client, threads)
  zip               # OSV zip fixtures, jar fixtures
  zstd              # zstd-compressed layer fixtures
  maven openjdk-17-jdk-headless  # Maven's ComparableVersion, for differential version tests
  python3-pip       # its vendored packaging 21.3 (LegacyVersion), for differential PyPI tests
  ruby              # Gem::Version, for differential RubyGems tests
  php-cli php-composer-semver  # version_compare and Composer's VersionParser, for differential Packagist tests
  openssl           # throwaway CAs and certificates for the real-TLS tests
  binutils          # objcopy: a section injected into a real ELF, for the cargo-auditable cataloger tests
  chromium          # Debian's browser, driven by playwright-core in the dashboard's browser tests (test/e2e)
)
# PostgreSQL and NATS come with this machine kind (started at boot); Go for the kube-apiserver build is found by
# scripts/build-kube-apiserver.sh, which says what is missing.
missing=()
if command -v dpkg-query >/dev/null; then
  for p in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
fi
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "test: installing ${missing[*]}"
    apt-get update -q || true
    apt-get install -y -q --no-install-recommends "${missing[@]}" </dev/null
  else
    echo "test: missing Debian packages the tests need: ${missing[*]}" >&2
    echo "test: install them (sudo apt-get install ${missing[*]}); the tests that need them will be listed as skipped" >&2
    [ -z "${CI:-}" ] || { echo "test: CI is set: failing" >&2; exit 1; }
  fi
fi

# Services (a machine may start them at boot; start them again if they stopped).
if command -v pg_isready >/dev/null && ! pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then
  if [ -d /etc/postgresql ]; then
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
  fi
fi
if [ -x /usr/sbin/nats-server ] && ! (exec 3<>/dev/tcp/127.0.0.1/4222) 2>/dev/null; then
  start-stop-daemon --start --oknodo --background --exec /usr/sbin/nats-server -- \
    -a 127.0.0.1 -p 4222 -js -sd /var/lib/nats-server -l /var/log/nats-server.log || true
fi

# A real kube-apiserver, kube-controller-manager and etcd for test/integration/kube-*.test.ts, built once from their Go
# modules into ~/.cache/palisade-test (cached after the first build). If the build fails, those tests fail with its
# error (CI=1) while the rest of the suite runs.
scripts/build-kube-apiserver.sh >/dev/null || echo "test: kube-apiserver build failed; test/integration/kube-* will say why" >&2
# k8s.io/apimachinery label selectors for src/core/k8s/selector.differential.test.ts (cached after the first build).
scripts/build-k8s-labels.sh >/dev/null || echo "test: k8s-labels build failed; the selector differential test will say why" >&2
# helm for the chart tests (lint, template, the committed manifests equal a fresh render; cached after the first build).
scripts/helm-path.sh >/dev/null || echo "test: helm build failed; test/deploy/chart.test.ts will say why" >&2

# The browser and demo tests (test/e2e) run the built CLI and dashboard: build them from these sources first.
npm run -s build
npm run -s typecheck
npm run -s lint
exec npx vitest run "$@"
