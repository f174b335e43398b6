#!/usr/bin/env bash
# Configures and builds a CMake preset (default: "default", into build/).
set -euo pipefail
cd "$(dirname "$0")/.."
preset="${1:-default}"
# A configure that fails for want of the compiler leaves empty optimization
# flags in the cache, and later builds would silently be -O0.
if ! command -v clang++-22 >/dev/null; then
  echo "build.sh: clang++-22 is not installed; run scripts/install-deps.sh first (as root)" >&2
  exit 1
fi
cmake --preset "$preset" >/dev/null
cmake --build --preset "$preset"
