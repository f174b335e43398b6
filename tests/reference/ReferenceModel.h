//===- ReferenceModel.h - the oracle forward pass of BitNet b1.58 -*- C++ -*-===//
//
// A plain, single-threaded, unfused forward pass of the BitNet b1.58 model as
// the Hugging Face implementation defines it, reading a Hugging Face
// checkpoint directory (packed or bf16 master weights) with its own parsers.
// Shares no code with compiler/ or runtime/: it is what they are checked
// against.
//
//===----------------------------------------------------------------------===//
#ifndef TERN_TESTS_REFERENCE_REFERENCEMODEL_H
#define TERN_TESTS_REFERENCE_REFERENCEMODEL_H

#include <cstdint>
#include <string>
#include <vector>

namespace tern::reference {

struct ModelConfig {
  int64_t hidden = 0, intermediate = 0, layers = 0, heads = 0, kvHeads = 0, vocab = 0,
          context = 0;
  float rmsNormEps = 1e-5f;
  double ropeTheta = 500000.0;
  int64_t headDim() const { return hidden / heads; }
};

class ReferenceModel {
public:
  /// Loads config.json and model.safetensors from a Hugging Face directory.
  bool load(const std::string &dir, std::string &error);
  const ModelConfig &config() const { return config_; }

  /// Runs `tokens` at positions [position(), position() + n), appending to
  /// the KV cache; returns the logits of every token, row-major [n, vocab].
  std::vector<float> forward(const std::vector<int32_t> &tokens);
  int64_t position() const { return position_; }
  void reset() { position_ = 0; }

  /// From now on, the output head reads the embedding table as `ternc
  /// compile --head int8` stores it for the head: each row quantized to
  /// int8, q = round_half_even(x * 127 / amax), and read back as
  /// q * (amax / 127), amax the row's largest magnitude. Lookups still read
  /// the table.
  void quantizeHeadToInt8();

  /// Greedy decoding: `count` tokens after `prompt`, from position 0.
  std::vector<int32_t> greedy(const std::vector<int32_t> &prompt, int count);

private:
  struct Linear {
    int64_t rows = 0, cols = 0;
    std::vector<int8_t> ternary; // row-major [rows, cols]
    float scale = 1;             // y = (x_q . w) / (act_scale * scale)
  };
  struct Layer {
    std::vector<float> inputNorm, attnSubNorm, postNorm, ffnSubNorm;
    Linear q, k, v, o, gate, up, down;
  };

  std::vector<float> linear(const Linear &l, const std::vector<float> &x) const;
  std::vector<float> rmsNorm(const std::vector<float> &x, const std::vector<float> &gain) const;

  ModelConfig config_;
  std::vector<float> embedding_; // [vocab, hidden]
  std::vector<float> head_;      // the head's table where it is not embedding_
  std::vector<Layer> layers_;
  std::vector<float> finalNorm_;
  std::vector<std::vector<float>> keys_, values_; // per layer [context, kvHeads * headDim]
  int64_t position_ = 0;
};

} // namespace tern::reference

#endif // TERN_TESTS_REFERENCE_REFERENCEMODEL_H
