#!/usr/bin/env bash
# Generates TypeScript from the .proto files into gen/ with ts-proto (see buf.gen.yaml).
# Deterministic: gen/ is removed first, so output of deleted protos disappears, and running
# it twice leaves the tree unchanged.
#
# Usage: scripts/generate.sh [base-dir]   writes <base-dir>/gen (default: this package, so gen/)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

base="${1:-.}"
rm -rf "$base/gen"
# `pnpm exec` puts node_modules/.bin (buf and protoc-gen-ts_proto) on PATH.
pnpm exec buf generate --template buf.gen.yaml -o "$base"
