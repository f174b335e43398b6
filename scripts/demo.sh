#!/usr/bin/env bash
# The demo: installs what is missing, builds, then compiles the four ternary
# matmul shapes of BitNet b1.58 2B4T for this CPU (decode, m = 1, and prefill,
# m = 128), checks each bit-exact against the reference and prints its
# throughput next to the machine's measured memory bandwidth.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh default
out=build/demo
rm -rf "$out"
shapes=("2560 2560" "640 2560" "6912 2560" "2560 6912")
for m in 1 128; do
  for shape in "${shapes[@]}"; do
    read -r n k <<<"$shape"
    build/bin/ternc kernel --n "$n" --k "$k" --m "$m" --target host --quiet -o "$out/m$m-${n}x$k"
  done
done
echo
echo "== Decode (m = 1): weights stream from DRAM =="
for t in 1 2; do build/bin/tern-bench kernel "$out"/m1-* --m 1 --threads "$t"; echo; done
echo "== Prefill (m = 128) =="
for t in 1 2; do build/bin/tern-bench kernel "$out"/m128-* --m 128 --threads "$t"; echo; done
