//===- SyntheticCheckpoint.h - synthetic models in the real formats -*- C++ -*-===//
#ifndef TERN_TOOLS_TERN_SYNTH_SYNTHETICCHECKPOINT_H
#define TERN_TOOLS_TERN_SYNTH_SYNTHETICCHECKPOINT_H

#include "tools/tern-synth/SyntheticModel.h"

#include "llvm/Support/Error.h"

#include <functional>

namespace tern::synth {

/// Hears the fraction written so far and the tensor being written.
using ProgressFn = std::function<void(double, const std::string &)>;

/// A Hugging Face directory: config.json, model.safetensors (packed uint8
/// weights with weight_scale, or bf16 master weights) and, when
/// `tokenizerDir` is given, its tokenizer.json and tokenizer_config.json.
llvm::Error writeHuggingFace(const SyntheticModel &model, bool packed, const std::string &dir,
                             const std::string &tokenizerDir, const ProgressFn &progress);

/// A GGUF file with i2_s linear layers, as bitnet.cpp writes it; the
/// tokenizer metadata comes from `tokenizerDir` when given.
llvm::Error writeGguf(const SyntheticModel &model, const std::string &path,
                      const std::string &tokenizerDir, const ProgressFn &progress);

} // namespace tern::synth

#endif // TERN_TOOLS_TERN_SYNTH_SYNTHETICCHECKPOINT_H
