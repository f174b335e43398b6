//===- SyntheticModel.cpp -------------------------------------------------===//
#include "tools/tern-synth/SyntheticModel.h"

#include <cmath>
#include <cstring>

namespace tern::synth {

bool presetShape(const std::string &preset, ModelShape &s) {
  if (preset == "tiny") {
    // Ragged on purpose: 680 is not a multiple of the usual 32-row blocks or
    // 16-column chunks, so the kernels' remainder paths run in every test.
    s = {"tiny", 256, 680, 3, 4, 2, 128256, 1024};
    return true;
  }
  if (preset == "tiny-mha") {
    // Multi-head attention (as many KV heads as query heads, like the older
    // BitNet b1.58 models), head size 32: attention's other loop shapes.
    s = {"tiny-mha", 192, 512, 2, 6, 6, 128256, 1024};
    return true;
  }
  if (preset == "2b4t") {
    s = {"2b4t", 2560, 6912, 30, 20, 5, 128256, 4096};
    return true;
  }
  return false;
}

std::vector<TensorSpec> modelTensors(const ModelShape &s) {
  int64_t kv = s.kvHeads * s.headDim();
  std::vector<TensorSpec> t;
  t.push_back({"model.embed_tokens", Role::Embedding, s.vocab, s.hidden});
  for (int64_t l = 0; l < s.layers; ++l) {
    std::string p = "model.layers." + std::to_string(l) + ".";
    t.push_back({p + "input_layernorm", Role::Norm, s.hidden, 0});
    t.push_back({p + "self_attn.q_proj", Role::Linear, s.hidden, s.hidden});
    t.push_back({p + "self_attn.k_proj", Role::Linear, kv, s.hidden});
    t.push_back({p + "self_attn.v_proj", Role::Linear, kv, s.hidden});
    t.push_back({p + "self_attn.attn_sub_norm", Role::Norm, s.hidden, 0});
    t.push_back({p + "self_attn.o_proj", Role::Linear, s.hidden, s.hidden});
    t.push_back({p + "post_attention_layernorm", Role::Norm, s.hidden, 0});
    t.push_back({p + "mlp.gate_proj", Role::Linear, s.intermediate, s.hidden});
    t.push_back({p + "mlp.up_proj", Role::Linear, s.intermediate, s.hidden});
    t.push_back({p + "mlp.ffn_sub_norm", Role::Norm, s.intermediate, 0});
    t.push_back({p + "mlp.down_proj", Role::Linear, s.hidden, s.intermediate});
  }
  t.push_back({"model.norm", Role::Norm, s.hidden, 0});
  return t;
}

uint16_t toBf16(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, 4);
  if ((bits & 0x7fffffffu) > 0x7f800000u) // NaN stays NaN
    return static_cast<uint16_t>((bits >> 16) | 0x40);
  bits += 0x7fffu + ((bits >> 16) & 1u);
  return static_cast<uint16_t>(bits >> 16);
}

float fromBf16(uint16_t b) {
  uint32_t bits = static_cast<uint32_t>(b) << 16;
  float value;
  std::memcpy(&value, &bits, 4);
  return value;
}

uint16_t toF16(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, 4);
  uint32_t sign = (bits >> 16) & 0x8000u;
  int32_t exponent = static_cast<int32_t>((bits >> 23) & 0xff) - 127 + 15;
  uint32_t mantissa = bits & 0x7fffffu;
  if (exponent >= 31)
    return static_cast<uint16_t>(sign | 0x7c00u); // overflow to infinity
  if (exponent <= 0) {
    if (exponent < -10)
      return static_cast<uint16_t>(sign);
    mantissa |= 0x800000u;
    uint32_t shift = static_cast<uint32_t>(14 - exponent);
    uint32_t half = mantissa >> shift;
    uint32_t rest = mantissa & ((1u << shift) - 1);
    uint32_t halfway = 1u << (shift - 1);
    if (rest > halfway || (rest == halfway && (half & 1)))
      ++half;
    return static_cast<uint16_t>(sign | half);
  }
  uint32_t half = sign | (static_cast<uint32_t>(exponent) << 10) | (mantissa >> 13);
  uint32_t rest = mantissa & 0x1fffu;
  if (rest > 0x1000u || (rest == 0x1000u && (half & 1)))
    ++half; // may carry into the exponent, which is the correct rounding
  return static_cast<uint16_t>(half);
}

namespace {

/// splitmix64: fast, and every tensor gets an independent stream.
struct Random {
  uint64_t state;
  uint64_t next() {
    uint64_t z = (state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; } // [0, 1)
  double symmetric() { return 2.0 * uniform() - 1.0; }                        // [-1, 1)
  double normal() {
    double u1 = uniform(), u2 = uniform();
    return std::sqrt(-2.0 * std::log(u1 + 1e-300)) * std::cos(6.283185307179586 * u2);
  }
};

} // namespace

uint64_t SyntheticModel::tensorSeed(const std::string &name) const {
  uint64_t h = seed_ ^ 0xcbf29ce484222325ull;
  for (unsigned char c : name)
    h = (h ^ c) * 0x100000001b3ull;
  return h;
}

std::vector<uint16_t> SyntheticModel::masterWeights(const TensorSpec &t) const {
  Random rng{tensorSeed(t.name)};
  // y = sum_k x_k t_k m / 1.41 has standard deviation about m sqrt(2K/3) / 1.41
  // for unit activations: m makes it 1.
  double m = 1.41 / std::sqrt(2.0 * static_cast<double>(t.cols) / 3.0);
  std::vector<uint16_t> w(t.rows * t.cols);
  for (uint16_t &v : w) {
    int trit = static_cast<int>(rng.next() % 3) - 1;
    double u = rng.symmetric();
    double value = trit != 0 ? trit * m * (1.0 + 0.2 * u) : m * 0.25 * u;
    v = toBf16(static_cast<float>(value));
  }
  return w;
}

void SyntheticModel::ternaryWeights(const TensorSpec &t, std::vector<int8_t> &ternary,
                                    float &weightScale) const {
  std::vector<uint16_t> master = masterWeights(t);
  double sum = 0;
  for (uint16_t v : master)
    sum += std::fabs(fromBf16(v));
  double scale = 1.0 / std::max(sum / static_cast<double>(master.size()), 1e-5);
  ternary.resize(master.size());
  for (size_t i = 0; i < master.size(); ++i) {
    double q = std::nearbyint(fromBf16(master[i]) * scale);
    ternary[i] = static_cast<int8_t>(q > 1 ? 1 : q < -1 ? -1 : q);
  }
  weightScale = static_cast<float>(scale);
}

std::vector<uint16_t> SyntheticModel::floatTensor(const TensorSpec &t) const {
  Random rng{tensorSeed(t.name)};
  int64_t count = t.rows * (t.cols ? t.cols : 1);
  std::vector<uint16_t> v(count);
  if (t.role == Role::Norm) {
    for (uint16_t &x : v)
      x = toBf16(static_cast<float>(1.0 + 0.1 * rng.symmetric()));
  } else {
    // Tied embeddings: logits of a unit-RMS hidden state get a spread of ~3,
    // enough for clear greedy choices.
    double sigma = 3.0 / std::sqrt(static_cast<double>(t.cols));
    for (uint16_t &x : v)
      x = toBf16(static_cast<float>(sigma * rng.normal()));
  }
  return v;
}

} // namespace tern::synth
