//===- ModelWork.h - what each op of a model reads and computes -*- C++ -*-===//
//
// The work of one prefill or decode step, read off the model-level tern IR
// that ternc compiles (compiler/import/ModelBuilder): per op, the bytes it
// streams (weights, tables, the KV cache), the activation bytes it touches,
// its floating-point operations and the ternary matmul shape, times the
// number of times it runs per step (the layer loop's trip count).
//
//===----------------------------------------------------------------------===//
#ifndef TERN_TOOLS_TERNEXPLORE_MODELWORK_H
#define TERN_TOOLS_TERNEXPLORE_MODELWORK_H

#include "compiler/import/Checkpoint.h"

#include "llvm/Support/Error.h"

#include <string>
#include <vector>

namespace tern::explore {

/// The model being explored: its shape and the precision of what it streams.
struct ModelSource {
  std::string name; // for reports
  ModelConfig config;
  DType embedding = DType::BF16; // the table tied with the output head
  bool int8Head = false;         // the head reads an int8 copy (ternc --head int8)
};

/// A checkpoint (Hugging Face directory or .gguf), an artifact directory
/// (NAME.tern) or a tern-synth preset name ("2b4t", "tiny").
llvm::Expected<ModelSource> openModelSource(const std::string &path);

struct OpWork {
  std::string op;     // "bitlinear", "attention", "lm_head", "rms_norm", ...
  std::string detail; // "6912x2560", "ctx 512", ...
  int64_t calls = 1;  // per step
  int64_t rows = 1;   // tokens this step
  // Ternary matmuls (op == "bitlinear"): the weight matrix.
  int64_t n = 0, k = 0;
  double streamBytes = 0;     // per call, read from memory: tables, the KV cache
  double activationBytes = 0; // per call, read and written in caches
  double fp32Flops = 0;       // per call
  int64_t tasks = 1;          // independent tasks the lowering runs in parallel
};

/// One step of `rows` tokens (1: decode) starting at cache position
/// `position`.
llvm::Expected<std::vector<OpWork>> modelWork(const ModelSource &model, int64_t rows,
                                              int64_t position);

} // namespace tern::explore

#endif // TERN_TOOLS_TERNEXPLORE_MODELWORK_H
