//===- HuggingFace.cpp - microsoft/bitnet-b1.58-2B-4T style directories ---===//
#include "compiler/import/Formats.h"
#include "compiler/import/Safetensors.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/Path.h"

#include <algorithm>
#include <cmath>

namespace tern {

llvm::Expected<std::vector<float>> readFloats(const TensorView &t, int64_t expected) {
  if (t.elements() != expected)
    return llvm::createStringError(llvm::formatv("{0}: tensor {1} has {2} elements, expected {3}",
                                                 t.file, t.name, t.elements(), expected).str());
  std::vector<float> out(expected);
  for (int64_t i = 0; i < expected; ++i) {
    if (t.dtype == DType::F32) {
      std::memcpy(&out[i], t.data + 4 * i, 4);
      continue;
    }
    uint16_t bits;
    std::memcpy(&bits, t.data + 2 * i, 2);
    if (t.dtype == DType::BF16)
      out[i] = bf16ToFloat(bits);
    else if (t.dtype == DType::F16)
      out[i] = f16ToFloat(bits);
    else
      return llvm::createStringError(t.file + ": tensor " + t.name + " has dtype " +
                                     dtypeName(t.dtype) + ", expected BF16, F16 or F32");
  }
  return out;
}

TernaryTensor quantizeAbsmean(const std::vector<float> &w, int64_t rows, int64_t cols) {
  double sum = 0;
  for (float v : w)
    sum += std::fabs(v);
  double scale = 1.0 / std::max(sum / static_cast<double>(w.size()), 1e-5);
  TernaryTensor t{rows, cols, std::vector<int8_t>(w.size()), static_cast<float>(scale)};
  for (size_t i = 0; i < w.size(); ++i)
    t.values[i] = static_cast<int8_t>(std::clamp(std::nearbyint(w[i] * scale), -1.0, 1.0));
  return t;
}

llvm::Expected<HuggingFaceConfig> parseHuggingFaceConfig(llvm::StringRef text,
                                                          const std::string &path) {
  auto fail = [&](const llvm::Twine &what) {
    return llvm::createStringError(path + ": " + what.str());
  };
  auto json = llvm::json::parse(text);
  if (!json)
    return fail("not valid JSON: " + llvm::toString(json.takeError()));
  const llvm::json::Object *c = json->getAsObject();
  if (!c)
    return fail("not a JSON object");
  const llvm::json::Array *architectures = c->getArray("architectures");
  bool bitnet = architectures && llvm::any_of(*architectures, [](const llvm::json::Value &a) {
                  auto s = a.getAsString();
                  return s && (*s == "BitNetForCausalLM" || *s == "BitnetForCausalLM");
                });
  if (!bitnet)
    return fail("architecture is not BitNetForCausalLM; Tern compiles BitNet b1.58 models");
  if (auto act = c->getString("hidden_act"); act && *act != "relu2")
    return fail("hidden_act '" + *act + "' is not supported (BitNet b1.58 uses relu2)");
  if (auto tied = c->getBoolean("tie_word_embeddings"); tied && !*tied)
    return fail("untied output heads (tie_word_embeddings: false) are not supported");
  HuggingFaceConfig result;
  ModelConfig &config = result.config;
  for (auto [key, field] : {std::pair{"hidden_size", &config.hidden},
                            {"intermediate_size", &config.intermediate},
                            {"num_hidden_layers", &config.layers},
                            {"num_attention_heads", &config.heads},
                            {"vocab_size", &config.vocab},
                            {"max_position_embeddings", &config.context}}) {
    std::optional<int64_t> v = c->getInteger(key);
    if (!v)
      return fail(llvm::Twine("missing integer '") + key + "'");
    *field = *v;
  }
  config.kvHeads = c->getInteger("num_key_value_heads").value_or(config.heads);
  config.rmsNormEps = static_cast<float>(c->getNumber("rms_norm_eps").value_or(1e-5));
  config.ropeTheta = c->getNumber("rope_theta").value_or(10000.0);
  config.bosId = c->getInteger("bos_token_id").value_or(-1);
  config.eosId = c->getInteger("eos_token_id").value_or(-1);
  if (llvm::Error e = validateConfig(config, path))
    return std::move(e);
  const llvm::json::Object *quant = c->getObject("quantization_config");
  result.packed = quant != nullptr;
  if (quant && quant->getString("quant_method") != std::optional<llvm::StringRef>("bitnet"))
    return fail("quantization_config.quant_method must be 'bitnet'");
  return result;
}

namespace {

std::string join(const std::string &dir, const std::string &name) {
  llvm::SmallString<256> p(dir);
  llvm::sys::path::append(p, name);
  return std::string(p);
}

llvm::Expected<llvm::json::Value> readJson(const std::string &path) {
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/true);
  if (!buffer)
    return llvm::createStringError("cannot read " + path + ": " + buffer.getError().message());
  auto value = llvm::json::parse((*buffer)->getBuffer());
  if (!value)
    return llvm::createStringError(path + ": not valid JSON: " + llvm::toString(value.takeError()));
  return value;
}

class HuggingFaceCheckpoint final : public Checkpoint {
public:
  std::string formatName() const override {
    return packed_ ? "Hugging Face directory (packed ternary weights)"
                   : "Hugging Face directory (bf16 master weights, quantized with absmean)";
  }

  llvm::Error open(const std::string &dir) {
    source_ = dir;
    dir_ = dir;
    if (llvm::Error e = readConfig())
      return e;
    // A single model.safetensors, or shards listed by model.safetensors.index.json.
    std::string single = join(dir, "model.safetensors");
    std::string index = join(dir, "model.safetensors.index.json");
    std::vector<std::string> shards;
    if (llvm::sys::fs::exists(single)) {
      shards.push_back(single);
    } else if (llvm::sys::fs::exists(index)) {
      auto json = readJson(index);
      if (!json)
        return json.takeError();
      const llvm::json::Object *map =
          json->getAsObject() ? json->getAsObject()->getObject("weight_map") : nullptr;
      if (!map)
        return llvm::createStringError(index + ": missing weight_map");
      for (const auto &[tensor, file] : *map)
        if (auto f = file.getAsString(); f && llvm::find(shards, join(dir, f->str())) == shards.end())
          shards.push_back(join(dir, f->str()));
    } else {
      return llvm::createStringError(dir + " has neither model.safetensors nor "
                                           "model.safetensors.index.json");
    }
    for (const std::string &shard : shards) {
      auto file = SafetensorsFile::open(shard);
      if (!file)
        return file.takeError();
      files_.push_back(std::move(*file));
    }
    // Check every tensor the model needs now, not halfway through compiling.
    if (auto e = embedding(); !e)
      return e.takeError();
    for (int64_t l = -1; l < config_.layers; ++l)
      for (const char *role : {"input_layernorm", "post_attention_layernorm", "attn_sub_norm",
                               "ffn_sub_norm"}) {
        if (l < 0 && llvm::StringRef(role) != "input_layernorm")
          continue;
        if (auto n = norm(l, role); !n)
          return n.takeError();
      }
    for (int64_t l = 0; l < config_.layers; ++l)
      for (const char *role : {"q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj",
                               "down_proj"})
        if (llvm::Error e = checkLinear(l, role))
          return e;
    return llvm::Error::success();
  }

  llvm::Expected<TernaryTensor> linear(int64_t layer, llvm::StringRef role) const override {
    auto [rows, cols] = linearShape(role);
    std::string name = linearName(layer, role);
    auto weight = tensor(name + ".weight");
    if (!weight)
      return weight.takeError();
    const TensorView &w = **weight;
    if (!packed_) {
      auto values = readFloats(w, rows * cols);
      if (!values)
        return values.takeError();
      return quantizeAbsmean(*values, rows, cols);
    }
    auto scaleTensor = tensor(name + ".weight_scale");
    if (!scaleTensor)
      return scaleTensor.takeError();
    auto scale = readFloats(**scaleTensor, 1);
    if (!scale)
      return scale.takeError();
    if (!((*scale)[0] > 0) || !std::isfinite((*scale)[0]))
      return llvm::createStringError(w.file + ": " + name + ".weight_scale must be positive and finite");
    // Byte row r holds output rows r + j * rows/4 in bit pair j, as w + 1.
    TernaryTensor t{rows, cols, std::vector<int8_t>(rows * cols), (*scale)[0]};
    int64_t quarter = rows / 4;
    for (int64_t r = 0; r < quarter; ++r)
      for (int64_t c = 0; c < cols; ++c) {
        uint8_t byte = w.data[r * cols + c];
        for (int64_t j = 0; j < 4; ++j) {
          int code = (byte >> (2 * j)) & 3;
          if (code == 3)
            return llvm::createStringError(llvm::formatv(
                "{0}: tensor {1}.weight holds the invalid 2-bit code 3 (byte row {2}, column {3})",
                w.file, name, r, c).str());
          t.values[(j * quarter + r) * cols + c] = static_cast<int8_t>(code - 1);
        }
      }
    return t;
  }

  llvm::Expected<std::vector<float>> norm(int64_t layer, llvm::StringRef role) const override {
    std::string name;
    int64_t size = config_.hidden;
    if (layer < 0) {
      name = "model.norm.weight";
    } else {
      std::string prefix = "model.layers." + std::to_string(layer) + ".";
      if (role == "attn_sub_norm")
        name = prefix + "self_attn.attn_sub_norm.weight";
      else if (role == "ffn_sub_norm")
        name = prefix + "mlp.ffn_sub_norm.weight", size = config_.intermediate;
      else
        name = prefix + role.str() + ".weight";
    }
    auto t = tensor(name);
    if (!t)
      return t.takeError();
    return readFloats(**t, size);
  }

  llvm::Expected<TensorView> embedding() const override {
    auto t = tensor("model.embed_tokens.weight");
    if (!t)
      return t.takeError();
    const TensorView &v = **t;
    if (v.shape != std::vector<int64_t>{config_.vocab, config_.hidden} ||
        (v.dtype != DType::BF16 && v.dtype != DType::F16 && v.dtype != DType::F32))
      return llvm::createStringError(llvm::formatv(
          "{0}: model.embed_tokens.weight must be BF16, F16 or F32 [{1}, {2}]", v.file,
          config_.vocab, config_.hidden).str());
    return v;
  }

  llvm::Expected<std::string> tokenizerJson() const override {
    std::string path = join(dir_, "tokenizer.json");
    auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/true);
    if (!buffer)
      return llvm::createStringError("cannot read " + path + ": " + buffer.getError().message());
    return (*buffer)->getBuffer().str();
  }

  std::string chatTemplate() const override { return chatTemplate_; }

private:
  llvm::Error readConfig() {
    std::string path = join(dir_, "config.json");
    auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/true);
    if (!buffer)
      return llvm::createStringError("cannot read " + path + ": " + buffer.getError().message());
    auto parsed = parseHuggingFaceConfig((*buffer)->getBuffer(), path);
    if (!parsed)
      return parsed.takeError();
    config_ = parsed->config;
    packed_ = parsed->packed;

    std::string tokenizerConfig = join(dir_, "tokenizer_config.json");
    if (llvm::sys::fs::exists(tokenizerConfig)) {
      auto tc = readJson(tokenizerConfig);
      if (!tc)
        return tc.takeError();
      if (const llvm::json::Object *o = tc->getAsObject())
        if (auto tmpl = o->getString("chat_template"))
          chatTemplate_ = tmpl->str();
    }
    return llvm::Error::success();
  }

  std::pair<int64_t, int64_t> linearShape(llvm::StringRef role) const {
    if (role == "k_proj" || role == "v_proj")
      return {config_.kvDim(), config_.hidden};
    if (role == "gate_proj" || role == "up_proj")
      return {config_.intermediate, config_.hidden};
    if (role == "down_proj")
      return {config_.hidden, config_.intermediate};
    return {config_.hidden, config_.hidden};
  }

  static std::string linearName(int64_t layer, llvm::StringRef role) {
    bool attention = role == "q_proj" || role == "k_proj" || role == "v_proj" || role == "o_proj";
    return "model.layers." + std::to_string(layer) + (attention ? ".self_attn." : ".mlp.") +
           role.str();
  }

  /// Shapes and dtypes only; the values are decoded when compiled.
  llvm::Error checkLinear(int64_t layer, llvm::StringRef role) const {
    auto [rows, cols] = linearShape(role);
    std::string name = linearName(layer, role);
    auto w = tensor(name + ".weight");
    if (!w)
      return w.takeError();
    std::vector<int64_t> expected =
        packed_ ? std::vector<int64_t>{rows / 4, cols} : std::vector<int64_t>{rows, cols};
    bool dtypeOk = packed_ ? (*w)->dtype == DType::U8 : (*w)->dtype != DType::U8 && (*w)->dtype != DType::I8;
    if ((*w)->shape != expected || !dtypeOk)
      return llvm::createStringError(llvm::formatv(
          "{0}: tensor {1}.weight is {2} [{3}], expected {4} [{5}, {6}]", (*w)->file, name,
          dtypeName((*w)->dtype), llvm::make_range((*w)->shape.begin(), (*w)->shape.end()),
          packed_ ? "U8" : "BF16/F16/F32", expected[0], expected[1]).str());
    if (packed_) {
      auto s = tensor(name + ".weight_scale");
      if (!s)
        return s.takeError();
      if ((*s)->elements() != 1)
        return llvm::createStringError((*s)->file + ": " + name + ".weight_scale must hold one value");
    }
    return llvm::Error::success();
  }

  llvm::Expected<const TensorView *> tensor(const std::string &name) const {
    for (const auto &f : files_)
      if (const TensorView *t = f->find(name))
        return t;
    return llvm::createStringError(dir_ + ": missing tensor " + name);
  }

  std::string dir_, chatTemplate_;
  bool packed_ = false;
  std::vector<std::unique_ptr<SafetensorsFile>> files_;
};

} // namespace

llvm::Expected<std::unique_ptr<Checkpoint>> openHuggingFaceCheckpoint(const std::string &dir) {
  auto checkpoint = std::make_unique<HuggingFaceCheckpoint>();
  if (llvm::Error e = checkpoint->open(dir))
    return std::move(e);
  return std::unique_ptr<Checkpoint>(std::move(checkpoint));
}

} // namespace tern
