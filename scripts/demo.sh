#!/usr/bin/env bash
# The demo: installs what is missing and builds; writes a synthetic checkpoint
# with the exact shape and file format of BitNet b1.58 2B4T (real weights
# cannot be downloaded here); tunes its matmul kernels on this machine;
# compiles it for this CPU with the tuned kernels; chats with it through the
# runtime, then again with an int8 output head; then checks and times the model's four ternary matmul shapes
# against this machine's memory bandwidth.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/fetch-tokenizer.sh
bash scripts/build.sh default
out=build/demo
threads=$(nproc)
mkdir -p "$out"

checkpoint=$out/bitnet-b1.58-2B-4T-synthetic
if [ ! -f "$checkpoint/model.safetensors" ]; then
  build/bin/tern-synth --preset 2b4t --format hf -o "$checkpoint"
fi
echo "== Tuning the model's matmul kernels for $threads threads (tern-tune model)"
build/bin/tern-tune model "$checkpoint" --threads "$threads" --budget 20 --db "$out/tuning.db"
build/bin/ternc compile --model "$checkpoint" --target host --tuning-db "$out/tuning.db" \
  --threads "$threads" -o "$out/bitnet-2b4t.tern" --kernel-report

echo
echo "== Chat, $threads threads. The weights are seeded random numbers, so the words are noise;"
echo "== everything else (tokenizer, chat template, kernels, KV cache, sampling) is the real thing."
build/bin/tern-run -m "$out/bitnet-2b4t.tern" --chat -t "$threads" -n 128 --seed 1 \
  -p "Explain in two sentences why ternary weights make language models cheap to run."

echo
echo "== The same model with an int8 output head (ternc --head int8): a decode step reads its"
echo "== 0.33 GB int8 copy of the tied table instead of 0.66 GB of bf16; the logits move slightly."
build/bin/ternc compile --model "$checkpoint" --target host --tuning-db "$out/tuning.db" \
  --threads "$threads" --head int8 --quiet -o "$out/bitnet-2b4t-int8-head.tern"
build/bin/tern-run -m "$out/bitnet-2b4t-int8-head.tern" --chat -t "$threads" -n 128 --seed 1 \
  -p "Explain in two sentences why ternary weights make language models cheap to run."

echo
echo "== The model's ternary matmuls at decode (m = 1, weights streaming from DRAM), $threads threads"
shapes=("2560 2560" "640 2560" "6912 2560" "2560 6912")
for shape in "${shapes[@]}"; do
  read -r n k <<<"$shape"
  build/bin/ternc kernel --n "$n" --k "$k" --m 1 --target host --tuning-db "$out/tuning.db" \
    --threads "$threads" --quiet -o "$out/kernels/${n}x$k"
done
build/bin/tern-bench kernel "$out"/kernels/* --m 1 --threads "$threads"
