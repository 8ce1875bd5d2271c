#!/usr/bin/env bash
# Regenerates everything derived from proto/: ts-proto TypeScript and the binary descriptor set that
# server reflection serves. CI runs this and fails when the committed output differs.
set -euo pipefail
cd "$(dirname "$0")/.."
rm -rf packages/contracts/src/gen
npx buf generate
npx buf build --as-file-descriptor-set -o packages/contracts/src/gen/descriptors.binpb
