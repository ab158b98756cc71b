#!/usr/bin/env bash
# Checks the contracts: lint, formatting, generated code up to date, and no breaking change
# against the main branch (neighbouring cities depend on these messages: a breaking change is
# a release decision, never an accident). Prints one line per step; exits non-zero on the
# first failure.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

step() { printf 'proto check: %s\n' "$*"; }
fail() { printf 'proto check: FAILED: %s\n' "$*" >&2; exit 1; }

step 'buf lint'
pnpm exec buf lint || fail 'buf lint (see above)'

step 'buf format'
pnpm exec buf format --diff --exit-code || fail 'formatting differs (see diff above); run: pnpm exec buf format -w'

step 'generated code is up to date (gen/)'
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
bash scripts/generate.sh "$tmp" >/dev/null
diff -r gen "$tmp/gen" || fail 'gen/ is out of date with the .proto files: run pnpm proto:gen and commit'

# Baseline for buf breaking: origin/main if known, else the local main branch (when working
# on another branch), else the previous commit. `against` is pinned to a commit id.
baseline_step() {
  if ! git rev-parse -q --git-dir >/dev/null 2>&1; then
    step 'buf breaking: skipped (not a git checkout, no baseline yet)'
    return 0
  fi
  local top prefix git_dir label='' commit=''
  top="$(git rev-parse --show-toplevel)"
  prefix="$(git rev-parse --show-prefix)"
  prefix="${prefix%/}"
  git_dir="$top/.git"
  if commit="$(git rev-parse -q --verify 'origin/main^{commit}' 2>/dev/null)"; then
    label='origin/main'
  elif [ "$(git symbolic-ref -q --short HEAD 2>/dev/null || true)" != main ] &&
    commit="$(git rev-parse -q --verify 'refs/heads/main^{commit}' 2>/dev/null)"; then
    label='main'
  elif commit="$(git rev-parse -q --verify 'HEAD~1^{commit}' 2>/dev/null)"; then
    label='HEAD~1'
  else
    step 'buf breaking: skipped (no main branch and no previous commit: no baseline yet)'
    return 0
  fi
  if ! git cat-file -e "$commit:$prefix/buf.yaml" 2>/dev/null; then
    step "buf breaking: skipped ($label has no $prefix/buf.yaml: no baseline yet)"
    return 0
  fi
  step "buf breaking against $label (${commit:0:12})"
  pnpm exec buf breaking --against "$git_dir#ref=$commit,subdir=$prefix" ||
    fail "breaking change against $label (see above): renumbering, renaming or removing is a release decision"
}
baseline_step

step 'all passed'
