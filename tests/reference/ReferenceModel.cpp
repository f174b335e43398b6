//===- ReferenceModel.cpp -------------------------------------------------===//
#include "tests/reference/ReferenceModel.h"
#include "tests/reference/Reference.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <iterator>
#include <map>

namespace tern::reference {
namespace {

float bf16ToFloat(uint16_t bits) {
  uint32_t wide = static_cast<uint32_t>(bits) << 16;
  float value;
  std::memcpy(&value, &wide, 4);
  return value;
}

/// The tensors of a safetensors file, read whole.
struct Safetensors {
  struct Tensor {
    std::string dtype;
    std::vector<int64_t> shape;
    const uint8_t *data;
    size_t bytes;
  };
  std::string contents;
  std::map<std::string, Tensor> tensors;

  bool read(const std::string &path, std::string &error) {
    std::ifstream in(path, std::ios::binary);
    if (!in)
      return error = "cannot open " + path, false;
    contents.assign(std::istreambuf_iterator<char>(in), {});
    if (contents.size() < 8)
      return error = path + " is too short", false;
    uint64_t headerSize = 0;
    for (int i = 0; i < 8; ++i)
      headerSize |= static_cast<uint64_t>(static_cast<uint8_t>(contents[i])) << (8 * i);
    if (headerSize > contents.size() - 8)
      return error = path + ": header size beyond the file", false;
    nlohmann::json header = nlohmann::json::parse(contents.substr(8, headerSize), nullptr, false);
    if (header.is_discarded())
      return error = path + ": header is not JSON", false;
    const uint8_t *base = reinterpret_cast<const uint8_t *>(contents.data()) + 8 + headerSize;
    size_t dataSize = contents.size() - 8 - headerSize;
    for (auto &[name, info] : header.items()) {
      if (name == "__metadata__")
        continue;
      uint64_t begin = info["data_offsets"][0], end = info["data_offsets"][1];
      if (begin > end || end > dataSize)
        return error = path + ": bad offsets for " + name, false;
      tensors[name] = {info["dtype"], info["shape"].get<std::vector<int64_t>>(), base + begin,
                       end - begin};
    }
    return true;
  }

  const Tensor *find(const std::string &name, std::string &error) const {
    auto it = tensors.find(name);
    if (it == tensors.end()) {
      error = "missing tensor " + name;
      return nullptr;
    }
    return &it->second;
  }

  bool floats(const std::string &name, std::vector<float> &out, std::string &error) const {
    const Tensor *t = find(name, error);
    if (!t)
      return false;
    if (t->dtype != "BF16")
      return error = name + ": expected BF16", false;
    out.resize(t->bytes / 2);
    for (size_t i = 0; i < out.size(); ++i) {
      uint16_t bits;
      std::memcpy(&bits, t->data + 2 * i, 2);
      out[i] = bf16ToFloat(bits);
    }
    return true;
  }
};

} // namespace

bool ReferenceModel::load(const std::string &dir, std::string &error) {
  std::ifstream configFile(dir + "/config.json");
  nlohmann::json config = nlohmann::json::parse(configFile, nullptr, false);
  if (config.is_discarded())
    return error = "cannot read " + dir + "/config.json", false;
  config_.hidden = config["hidden_size"];
  config_.intermediate = config["intermediate_size"];
  config_.layers = config["num_hidden_layers"];
  config_.heads = config["num_attention_heads"];
  config_.kvHeads = config["num_key_value_heads"];
  config_.vocab = config["vocab_size"];
  config_.context = config["max_position_embeddings"];
  config_.rmsNormEps = config["rms_norm_eps"];
  config_.ropeTheta = config["rope_theta"];
  bool packed = config.contains("quantization_config");

  Safetensors st;
  if (!st.read(dir + "/model.safetensors", error) ||
      !st.floats("model.embed_tokens.weight", embedding_, error) ||
      !st.floats("model.norm.weight", finalNorm_, error))
    return false;

  auto loadLinear = [&](const std::string &name, int64_t rows, int64_t cols, Linear &l) {
    l.rows = rows;
    l.cols = cols;
    l.ternary.assign(rows * cols, 0);
    if (packed) {
      const Safetensors::Tensor *w = st.find(name + ".weight", error);
      std::vector<float> scale;
      if (!w || !st.floats(name + ".weight_scale", scale, error))
        return false;
      if (w->bytes != static_cast<size_t>(rows * cols / 4))
        return error = name + ": wrong packed size", false;
      int64_t quarter = rows / 4;
      for (int64_t r = 0; r < rows; ++r)
        for (int64_t c = 0; c < cols; ++c) {
          uint8_t byte = w->data[(r % quarter) * cols + c];
          l.ternary[r * cols + c] = static_cast<int8_t>(((byte >> (2 * (r / quarter))) & 3) - 1);
        }
      l.scale = scale[0];
      return true;
    }
    // Master weights: absmean quantization, as BitNet's weight_quant.
    std::vector<float> w;
    if (!st.floats(name + ".weight", w, error))
      return false;
    double sum = 0;
    for (float v : w)
      sum += std::fabs(v);
    double s = 1.0 / std::max(sum / static_cast<double>(w.size()), 1e-5);
    for (size_t i = 0; i < w.size(); ++i)
      l.ternary[i] = static_cast<int8_t>(std::clamp(std::nearbyint(w[i] * s), -1.0, 1.0));
    l.scale = static_cast<float>(s);
    return true;
  };

  int64_t kv = config_.kvHeads * config_.headDim();
  layers_.resize(config_.layers);
  for (int64_t i = 0; i < config_.layers; ++i) {
    std::string p = "model.layers." + std::to_string(i) + ".";
    Layer &l = layers_[i];
    if (!st.floats(p + "input_layernorm.weight", l.inputNorm, error) ||
        !st.floats(p + "self_attn.attn_sub_norm.weight", l.attnSubNorm, error) ||
        !st.floats(p + "post_attention_layernorm.weight", l.postNorm, error) ||
        !st.floats(p + "mlp.ffn_sub_norm.weight", l.ffnSubNorm, error) ||
        !loadLinear(p + "self_attn.q_proj", config_.hidden, config_.hidden, l.q) ||
        !loadLinear(p + "self_attn.k_proj", kv, config_.hidden, l.k) ||
        !loadLinear(p + "self_attn.v_proj", kv, config_.hidden, l.v) ||
        !loadLinear(p + "self_attn.o_proj", config_.hidden, config_.hidden, l.o) ||
        !loadLinear(p + "mlp.gate_proj", config_.intermediate, config_.hidden, l.gate) ||
        !loadLinear(p + "mlp.up_proj", config_.intermediate, config_.hidden, l.up) ||
        !loadLinear(p + "mlp.down_proj", config_.hidden, config_.intermediate, l.down))
      return false;
  }
  keys_.assign(config_.layers, std::vector<float>(config_.context * kv));
  values_.assign(config_.layers, std::vector<float>(config_.context * kv));
  position_ = 0;
  return true;
}

std::vector<float> ReferenceModel::linear(const Linear &l, const std::vector<float> &x) const {
  std::vector<int8_t> q(l.cols);
  float actScale;
  quantizeRows(x.data(), 1, l.cols, q.data(), &actScale);
  std::vector<float> y(l.rows);
  ternaryMatmul(q.data(), &actScale, l.ternary.data(), l.scale, y.data(), 1, l.rows, l.cols);
  return y;
}

std::vector<float> ReferenceModel::rmsNorm(const std::vector<float> &x,
                                           const std::vector<float> &gain) const {
  double sum = 0;
  for (float v : x)
    sum += static_cast<double>(v) * v;
  float inv = static_cast<float>(1.0 / std::sqrt(sum / static_cast<double>(x.size()) + config_.rmsNormEps));
  std::vector<float> y(x.size());
  for (size_t i = 0; i < x.size(); ++i)
    y[i] = x[i] * inv * gain[i];
  return y;
}

void ReferenceModel::quantizeHeadToInt8() {
  int64_t hidden = config_.hidden;
  head_ = embedding_;
  for (int64_t v = 0; v < config_.vocab; ++v) {
    float *row = head_.data() + v * hidden;
    float amax = 0;
    for (int64_t i = 0; i < hidden; ++i)
      amax = std::max(amax, std::fabs(row[i]));
    if (amax == 0)
      continue;
    float toInt = 127.0f / amax, scale = amax / 127.0f;
    for (int64_t i = 0; i < hidden; ++i) {
      float q = std::min(127.0f, std::max(-127.0f, std::nearbyint(row[i] * toInt)));
      row[i] = q * scale;
    }
  }
}

std::vector<float> ReferenceModel::forward(const std::vector<int32_t> &tokens) {
  const ModelConfig &c = config_;
  int64_t d = c.headDim(), kv = c.kvHeads * d, group = c.heads / c.kvHeads;
  std::vector<float> logits;
  for (int32_t token : tokens) {
    int64_t pos = position_++;
    std::vector<float> x(embedding_.begin() + token * c.hidden,
                         embedding_.begin() + (token + 1) * c.hidden);
    for (int64_t li = 0; li < c.layers; ++li) {
      Layer &l = layers_[li];
      std::vector<float> h = rmsNorm(x, l.inputNorm);
      std::vector<float> q = linear(l.q, h), k = linear(l.k, h), v = linear(l.v, h);
      // Rotary embedding, rotate-half convention, per head.
      auto rope = [&](std::vector<float> &t, int64_t heads) {
        for (int64_t hd = 0; hd < heads; ++hd)
          for (int64_t i = 0; i < d / 2; ++i) {
            double angle = static_cast<double>(pos) * std::pow(c.ropeTheta, -2.0 * i / d);
            double cs = std::cos(angle), sn = std::sin(angle);
            float &a = t[hd * d + i], &b = t[hd * d + i + d / 2];
            float a0 = a, b0 = b;
            a = static_cast<float>(a0 * cs - b0 * sn);
            b = static_cast<float>(b0 * cs + a0 * sn);
          }
      };
      rope(q, c.heads);
      rope(k, c.kvHeads);
      std::copy(k.begin(), k.end(), keys_[li].begin() + pos * kv);
      std::copy(v.begin(), v.end(), values_[li].begin() + pos * kv);
      std::vector<float> attention(c.hidden, 0.0f);
      for (int64_t hd = 0; hd < c.heads; ++hd) {
        int64_t kvh = hd / group;
        std::vector<double> scores(pos + 1);
        double maxScore = -1e300;
        for (int64_t j = 0; j <= pos; ++j) {
          double dot = 0;
          for (int64_t i = 0; i < d; ++i)
            dot += static_cast<double>(q[hd * d + i]) * keys_[li][j * kv + kvh * d + i];
          scores[j] = dot / std::sqrt(static_cast<double>(d));
          maxScore = std::max(maxScore, scores[j]);
        }
        double total = 0;
        for (double &s : scores)
          total += (s = std::exp(s - maxScore));
        for (int64_t i = 0; i < d; ++i) {
          double acc = 0;
          for (int64_t j = 0; j <= pos; ++j)
            acc += scores[j] / total * values_[li][j * kv + kvh * d + i];
          attention[hd * d + i] = static_cast<float>(acc);
        }
      }
      std::vector<float> o = linear(l.o, rmsNorm(attention, l.attnSubNorm));
      for (int64_t i = 0; i < c.hidden; ++i)
        x[i] += o[i];
      h = rmsNorm(x, l.postNorm);
      std::vector<float> gate = linear(l.gate, h), up = linear(l.up, h);
      for (int64_t i = 0; i < c.intermediate; ++i) {
        float r = std::max(gate[i], 0.0f);
        gate[i] = r * r * up[i];
      }
      std::vector<float> down = linear(l.down, rmsNorm(gate, l.ffnSubNorm));
      for (int64_t i = 0; i < c.hidden; ++i)
        x[i] += down[i];
    }
    std::vector<float> h = rmsNorm(x, finalNorm_);
    const std::vector<float> &head = head_.empty() ? embedding_ : head_;
    for (int64_t v = 0; v < c.vocab; ++v) {
      double dot = 0;
      for (int64_t i = 0; i < c.hidden; ++i)
        dot += static_cast<double>(h[i]) * head[v * c.hidden + i];
      logits.push_back(static_cast<float>(dot));
    }
  }
  return logits;
}

std::vector<int32_t> ReferenceModel::greedy(const std::vector<int32_t> &prompt, int count) {
  reset();
  std::vector<int32_t> out;
  std::vector<float> logits = forward(prompt);
  for (int i = 0; i < count; ++i) {
    const float *last = logits.data() + logits.size() - config_.vocab;
    int32_t next = static_cast<int32_t>(std::max_element(last, last + config_.vocab) - last);
    out.push_back(next);
    logits = forward({next});
  }
  return out;
}

} // namespace tern::reference
