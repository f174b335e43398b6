#!/usr/bin/env bash
# Records what tern-explore validate compares targets/descriptions/host-vm.yaml
# with: tuned kernels of every strategy x packing on the 2B4T shapes (m = 1
# with weights from DRAM, m = 128) and a tuned 2B4T-shaped model's prefill
# and decode, all on 2 threads. Run it on a quiet machine.
#   scripts/record-host-run.sh CHECKPOINT [OUT_DIR]
# CHECKPOINT: a 2B4T-shaped checkpoint, e.g. from
#   build/bin/tern-synth --preset 2b4t --format hf -o /tmp/2b4t-hf
# OUT_DIR defaults to tests/explore/host-run (m1.json, m128.json, model.json).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=$root/build/bin
checkpoint=${1:?usage: record-host-run.sh CHECKPOINT [OUT_DIR]}
out=${2:-$root/tests/explore/host-run}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$out"
echo "== tuning the model's shapes (2 threads)"
"$bin/tern-tune" model "$checkpoint" --threads 2 --budget 20 --db "$work/tuning.db"
echo "== kernels"
"$root/scripts/bench-kernels.sh" --tuning-db "$work/tuning.db" --threads 2 "$work/kernels"
cp "$work/kernels/m1-t2.json" "$out/m1.json"
cp "$work/kernels/m128-t2.json" "$out/m128.json"
echo "== model"
"$bin/ternc" compile --model "$checkpoint" --threads 2 --tuning-db "$work/tuning.db" -o "$work/model.tern"
"$bin/tern-bench" model "$work/model.tern" --threads 2 --prompt 32 --tokens 64 --runs 3 \
  --json "$work/model.json"
# The model's shape, for tern-explore: a tern-synth preset name.
sed 's/^{/{"preset": "2b4t", /' "$work/model.json" >"$out/model.json"
echo "recorded in $out"
