#!/usr/bin/env bash
# Measures every strategy x packing on the BitNet b1.58 2B4T matmul shapes,
# for decode (m = 1, weights streaming from DRAM) and prefill (m = 128), on 1
# and 2 threads: the README's kernel table. Prefill adds rowlut, and amx
# where the CPU has AMX. Each kernel is the tuned one when
# the tuning database has it for that packing, else the documented default.
#   scripts/bench-kernels.sh [--tuning-db FILE] [--threads "1 2"] [OUT_DIR]
# The 128256x2560 output head is bf16 in the released model, not ternary:
# it is not a ternary matmul and is not measured here.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=$root/build/bin
db=none
threads="1 2"
out=/tmp/tern-bench-kernels
usage() { sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
  case "$1" in
    -h|--help) usage; exit 0 ;;
    --tuning-db) [ $# -ge 2 ] || { echo "bench-kernels: --tuning-db needs a FILE (or none)" >&2; exit 2; }
                 db=$2; shift 2 ;;
    --threads) [ $# -ge 2 ] || { echo "bench-kernels: --threads needs a list, e.g. \"1 2\"" >&2; exit 2; }
               threads=$2; shift 2 ;;
    -*) echo "bench-kernels: unknown option $1 (see --help)" >&2; exit 2 ;;
    *) out=$1; shift ;;
  esac
done
[ -x "$bin/ternc" ] || { echo "bench-kernels: build first (scripts/build.sh)" >&2; exit 1; }
shapes="2560x2560 640x2560 6912x2560 2560x6912"
kinds="mfree:i2 mfree:base3 lut:lut2 lut:lut3"
# rowlut's tables serve 32 activation rows, so prefill only; AMX tiles too,
# where the CPU has them.
prefill="rowlut:idx3"
grep -qw amx_int8 /proc/cpuinfo 2>/dev/null && prefill="$prefill amx:i2"
# OUT_DIR is emptied first: only one this script made (it leaves a marker).
if [ -e "$out" ] && [ ! -e "$out/.bench-kernels" ] && [ -n "$(ls -A "$out" 2>/dev/null)" ]; then
  echo "bench-kernels: $out exists and was not made by this script; name a new OUT_DIR" >&2
  exit 2
fi
rm -rf "$out" && mkdir -p "$out" && touch "$out/.bench-kernels"
for m in 1 128; do
  for t in $threads; do
    dirs=()
    for shape in $shapes; do
      for kind in $kinds $([ "$m" -gt 1 ] && echo "$prefill"); do
        dir=$out/m$m-t$t/$shape-${kind%:*}-${kind#*:}
        "$bin/ternc" kernel --n "${shape%x*}" --k "${shape#*x}" --m "$m" --threads "$t" \
          --strategy "${kind%:*}" --packing "${kind#*:}" --tuning-db "$db" -o "$dir" --quiet
        dirs+=("$dir")
      done
    done
    echo "== m=$m, $t thread(s)"
    "$bin/tern-bench" kernel "${dirs[@]}" --m "$m" --threads "$t" --json "$out/m$m-t$t.json"
    echo
  done
done
