//===- Formats.h - the checkpoint formats and their number types -*- C++ -*-===//
#ifndef TERN_COMPILER_IMPORT_FORMATS_H
#define TERN_COMPILER_IMPORT_FORMATS_H

#include "compiler/import/Checkpoint.h"

#include <cstring>

namespace tern {

llvm::Expected<std::unique_ptr<Checkpoint>> openHuggingFaceCheckpoint(const std::string &dir);

/// A Hugging Face config.json of a BitNet b1.58 model, checked.
struct HuggingFaceConfig {
  ModelConfig config;
  bool packed = false; // quantization_config present: packed uint8 weights
};
llvm::Expected<HuggingFaceConfig> parseHuggingFaceConfig(llvm::StringRef text,
                                                          const std::string &path);
llvm::Expected<std::unique_ptr<Checkpoint>> openGgufCheckpoint(const std::string &path);

inline float bf16ToFloat(uint16_t bits) {
  uint32_t wide = static_cast<uint32_t>(bits) << 16;
  float f;
  std::memcpy(&f, &wide, 4);
  return f;
}

inline float f16ToFloat(uint16_t h) {
  uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  uint32_t exponent = (h >> 10) & 0x1fu, mantissa = h & 0x3ffu, bits;
  if (exponent == 0x1f) {
    bits = sign | 0x7f800000u | (mantissa << 13);
  } else if (exponent != 0) {
    bits = sign | ((exponent + 112) << 23) | (mantissa << 13);
  } else if (mantissa == 0) {
    bits = sign;
  } else { // subnormal: normalize
    int shift = 0;
    while (!(mantissa & 0x400u)) {
      mantissa <<= 1;
      ++shift;
    }
    bits = sign | (static_cast<uint32_t>(113 - shift) << 23) | ((mantissa & 0x3ffu) << 13);
  }
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

/// The values of a BF16, F16 or F32 tensor of `expected` elements as f32.
llvm::Expected<std::vector<float>> readFloats(const TensorView &t, int64_t expected);

/// absmean quantization of master weights, as BitNet's weight_quant:
/// scale = 1 / max(mean |w|, 1e-5), t = clamp(round(w * scale), -1, 1).
TernaryTensor quantizeAbsmean(const std::vector<float> &weights, int64_t rows, int64_t cols);

} // namespace tern

#endif // TERN_COMPILER_IMPORT_FORMATS_H
