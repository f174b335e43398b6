//===- Checkpoint.h - a BitNet checkpoint, whatever its format --*- C++ -*-===//
//
// The importers (Hugging Face directory, GGUF) validate their files strictly
// and present the model the same way: its configuration and, per logical
// tensor, a view of the bytes in the mapped file with the conversions the
// compiler needs (ternary values and scale of a linear layer, f32 values of
// a norm, bf16 rows of the embedding table).
//
//===----------------------------------------------------------------------===//
#ifndef TERN_COMPILER_IMPORT_CHECKPOINT_H
#define TERN_COMPILER_IMPORT_CHECKPOINT_H

#include "llvm/Support/Error.h"
#include "llvm/Support/MemoryBuffer.h"

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace tern {

struct ModelConfig {
  int64_t hidden = 0, intermediate = 0, layers = 0, heads = 0, kvHeads = 0, vocab = 0,
          context = 0;
  float rmsNormEps = 1e-5f;
  double ropeTheta = 500000.0;
  int64_t bosId = -1, eosId = -1;
  int64_t headDim() const { return hidden / heads; }
  int64_t kvDim() const { return kvHeads * headDim(); }
};

enum class DType { U8, I8, BF16, F16, F32, I2S };
const char *dtypeName(DType t);

/// One tensor's bytes in a mapped file.
struct TensorView {
  std::string file, name; // for messages
  DType dtype;
  std::vector<int64_t> shape; // outermost first
  const uint8_t *data = nullptr;
  uint64_t bytes = 0;
  int64_t elements() const;
};

/// A linear layer: N x K ternary weights with y = (x_q . w) / (act_scale * scale).
struct TernaryTensor {
  int64_t rows = 0, cols = 0;
  std::vector<int8_t> values; // row-major, in {-1, 0, 1}
  float scale = 1.0f;
};

class Checkpoint {
public:
  virtual ~Checkpoint() = default;
  const ModelConfig &config() const { return config_; }
  /// "Hugging Face directory (packed)", "GGUF (i2_s)", ...
  virtual std::string formatName() const = 0;
  /// The path the user gave, for messages and the manifest.
  const std::string &source() const { return source_; }

  /// Linear layer `layer`.`role`, role one of q_proj k_proj v_proj o_proj
  /// gate_proj up_proj down_proj.
  virtual llvm::Expected<TernaryTensor> linear(int64_t layer, llvm::StringRef role) const = 0;
  /// Norm gains: role one of input_layernorm post_attention_layernorm
  /// attn_sub_norm ffn_sub_norm (layer >= 0) or the final norm (layer -1).
  virtual llvm::Expected<std::vector<float>> norm(int64_t layer, llvm::StringRef role) const = 0;
  /// The [vocab, hidden] embedding table (tied with the output head).
  virtual llvm::Expected<TensorView> embedding() const = 0;
  /// tokenizer.json text and the chat template, for the artifact.
  virtual llvm::Expected<std::string> tokenizerJson() const = 0;
  virtual std::string chatTemplate() const = 0;

protected:
  ModelConfig config_;
  std::string source_;
};

/// Opens a Hugging Face directory (config.json + model.safetensors +
/// tokenizer files) or a .gguf file, validating everything up front.
llvm::Expected<std::unique_ptr<Checkpoint>> openCheckpoint(const std::string &path);

/// Checks a configuration for consistency (positive sizes, heads dividing
/// the hidden size, an even head dimension, ...).
llvm::Error validateConfig(const ModelConfig &config, const std::string &where);

} // namespace tern

#endif // TERN_COMPILER_IMPORT_CHECKPOINT_H
