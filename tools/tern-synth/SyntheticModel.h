//===- SyntheticModel.h - deterministic BitNet-shaped weights ---*- C++ -*-===//
//
// The weights tern-synth writes: every tensor is a pure function of (seed,
// tensor name), so any one of them can be produced on demand while streaming a
// 1.2 GB checkpoint, and every format of one model holds the same model.
//
// Linear layers come from "master" weights W = t * m * (1 + 0.2 u) for a
// ternary t (and m * 0.25 u where t = 0), u uniform in [-1, 1], with m chosen
// so that activations stay of order 1. Quantizing them with absmean gives back
// exactly t, which is what the packed formats store, with
// weight_scale = 1 / mean|W|.
//
//===----------------------------------------------------------------------===//
#ifndef TERN_TOOLS_TERN_SYNTH_SYNTHETICMODEL_H
#define TERN_TOOLS_TERN_SYNTH_SYNTHETICMODEL_H

#include <cstdint>
#include <string>
#include <vector>

namespace tern::synth {

struct ModelShape {
  std::string name;
  int64_t hidden = 0, intermediate = 0, layers = 0, heads = 0, kvHeads = 0, vocab = 0,
          context = 0;
  double ropeTheta = 500000.0, rmsNormEps = 1e-5;
  int64_t bosId = 128000, eosId = 128001;
  int64_t headDim() const { return hidden / heads; }
};

/// "tiny" (3 layers, hidden 256, the full Llama 3 vocabulary), "tiny-mha"
/// (2 layers, hidden 192, 6 heads with a KV head each) or "2b4t" (the
/// shape of BitNet b1.58 2B4T); false for another name.
bool presetShape(const std::string &preset, ModelShape &shape);

enum class Role { Linear, Norm, Embedding };

struct TensorSpec {
  std::string name; // Hugging Face name, e.g. model.layers.0.self_attn.q_proj
  Role role;
  int64_t rows, cols; // [out, in] for linear layers; cols = 0 for vectors
};

/// Every tensor of the model in checkpoint order (linear layers without their
/// ".weight" suffix).
std::vector<TensorSpec> modelTensors(const ModelShape &shape);

/// Bits of a bfloat16 (round to nearest even) and back.
uint16_t toBf16(float value);
float fromBf16(uint16_t bits);
uint16_t toF16(float value);

class SyntheticModel {
public:
  SyntheticModel(ModelShape shape, uint64_t seed) : shape_(std::move(shape)), seed_(seed) {}
  const ModelShape &shape() const { return shape_; }

  /// The master weights of a linear layer as bf16 values, row-major [rows, cols].
  std::vector<uint16_t> masterWeights(const TensorSpec &t) const;
  /// Their absmean quantization: ternary values and weight_scale = 1/mean|W|.
  void ternaryWeights(const TensorSpec &t, std::vector<int8_t> &ternary, float &weightScale) const;
  /// Norm gains and embeddings as bf16.
  std::vector<uint16_t> floatTensor(const TensorSpec &t) const;

private:
  uint64_t tensorSeed(const std::string &name) const;
  ModelShape shape_;
  uint64_t seed_;
};

} // namespace tern::synth

#endif // TERN_TOOLS_TERN_SYNTH_SYNTHETICMODEL_H
