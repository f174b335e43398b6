#!/usr/bin/env bash
# The test command: installs what is missing, builds, and runs every test
# through ctest; then the runtime, reference and their tests again under
# AddressSanitizer + UndefinedBehaviorSanitizer.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
bash scripts/install-deps.sh
bash scripts/fetch-tokenizer.sh
bash scripts/build.sh default
ctest --preset default
bash scripts/build.sh sanitize
ctest --preset sanitize
echo "test.sh: all tests passed in $(( $(date +%s) - start )) s"
