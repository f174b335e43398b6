//===- GgufCheckpoint.cpp - BitNet GGUF files with i2_s tensors -----------===//
//
// As bitnet.cpp writes them: architecture "bitnet-b1.58" (or the older
// "bitnet" / "bitnet-25"), llama.cpp tensor names, i2_s linear layers whose
// f32 scale follows the packed bytes and multiplies (Hugging Face's
// weight_scale divides: the two are reciprocals), F16 embeddings, F32 norms,
// and the Llama 3 tokenizer as tokenizer.ggml.* metadata.
//
//===----------------------------------------------------------------------===//
#include "compiler/import/Formats.h"
#include "compiler/import/Gguf.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"

#include <cmath>

namespace tern {
namespace {

// The Llama 3 pre-tokenizer, which GGUF names "llama-bpe".
constexpr const char *kLlama3Split =
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+"
    "[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

class GgufCheckpoint final : public Checkpoint {
public:
  std::string formatName() const override { return "GGUF (i2_s ternary tensors)"; }

  llvm::Error open(const std::string &path) {
    source_ = path;
    auto file = GgufFile::open(path);
    if (!file)
      return file.takeError();
    file_ = std::move(*file);
    auto arch = file_->getString("general.architecture");
    if (!arch)
      return arch.takeError();
    if (*arch != "bitnet-b1.58" && *arch != "bitnet" && *arch != "bitnet-25")
      return llvm::createStringError(path + ": architecture '" + *arch +
                                     "' is not a BitNet b1.58 model");
    std::string a = *arch + ".";
    for (auto [key, field] : {std::pair{"embedding_length", &config_.hidden},
                              {"feed_forward_length", &config_.intermediate},
                              {"block_count", &config_.layers},
                              {"attention.head_count", &config_.heads},
                              {"attention.head_count_kv", &config_.kvHeads},
                              {"context_length", &config_.context}}) {
      auto v = file_->getInt(a + key);
      if (!v)
        return v.takeError();
      *field = *v;
    }
    // Older files have no vocab_size: the tokenizer's token list says it.
    if (auto v = file_->getInt(a + "vocab_size")) {
      config_.vocab = *v;
    } else {
      llvm::consumeError(v.takeError());
      auto tokens = file_->getStrings("tokenizer.ggml.tokens");
      if (!tokens)
        return tokens.takeError();
      config_.vocab = static_cast<int64_t>((*tokens)->size());
    }
    if (auto eps = file_->getFloat(a + "attention.layer_norm_rms_epsilon"))
      config_.rmsNormEps = static_cast<float>(*eps);
    else
      return eps.takeError();
    if (auto theta = file_->getFloat(a + "rope.freq_base"))
      config_.ropeTheta = *theta;
    else
      llvm::consumeError(theta.takeError()), config_.ropeTheta = 10000.0;
    config_.bosId = optionalInt("tokenizer.ggml.bos_token_id");
    config_.eosId = optionalInt("tokenizer.ggml.eos_token_id");
    if (llvm::Error e = validateConfig(config_, path))
      return e;
    if (auto e = embedding(); !e)
      return e.takeError();
    for (int64_t l = 0; l < config_.layers; ++l)
      for (const char *role : {"q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj",
                               "down_proj"})
        if (auto t = linearView(l, role); !t)
          return t.takeError();
    return llvm::Error::success();
  }

  llvm::Expected<TernaryTensor> linear(int64_t layer, llvm::StringRef role) const override {
    auto view = linearView(layer, role);
    if (!view)
      return view.takeError();
    const TensorView &t = **view;
    int64_t rows = t.shape[0], cols = t.shape[1], n = rows * cols;
    float scale;
    std::memcpy(&scale, t.data + n / 4, 4);
    if (!(scale > 0) || !std::isfinite(scale))
      return llvm::createStringError(t.file + ": i2_s tensor " + t.name +
                                     " has a non-positive or non-finite scale");
    TernaryTensor out{rows, cols, std::vector<int8_t>(n), 1.0f / scale};
    // Blocks of 128 weights in 32 bytes: byte j holds weights j, j+32, j+64,
    // j+96 in bits 7-6, 5-4, 3-2, 1-0, stored as w + 1.
    for (int64_t i = 0; i < n; ++i) {
      int code = (t.data[(i / 128) * 32 + i % 32] >> (6 - 2 * ((i % 128) / 32))) & 3;
      if (code == 3)
        return llvm::createStringError(llvm::formatv(
            "{0}: i2_s tensor {1} holds the invalid 2-bit code 3 at weight {2}", t.file, t.name, i).str());
      out.values[i] = static_cast<int8_t>(code - 1);
    }
    return out;
  }

  llvm::Expected<std::vector<float>> norm(int64_t layer, llvm::StringRef role) const override {
    std::string name;
    int64_t size = config_.hidden;
    if (layer < 0) {
      name = "output_norm.weight";
    } else {
      static const std::map<std::string, std::string> names = {
          {"input_layernorm", "attn_norm"}, {"post_attention_layernorm", "ffn_norm"},
          {"attn_sub_norm", "attn_sub_norm"}, {"ffn_sub_norm", "ffn_sub_norm"}};
      name = "blk." + std::to_string(layer) + "." + names.at(role.str()) + ".weight";
      if (role == "ffn_sub_norm")
        size = config_.intermediate;
    }
    auto t = file_->tensor(name);
    if (!t)
      return t.takeError();
    return readFloats(**t, size);
  }

  llvm::Expected<TensorView> embedding() const override {
    auto t = file_->tensor("token_embd.weight");
    if (!t)
      return t.takeError();
    const TensorView &v = **t;
    if (v.shape != std::vector<int64_t>{config_.vocab, config_.hidden} || v.dtype == DType::I2S)
      return llvm::createStringError(llvm::formatv(
          "{0}: token_embd.weight must be F16, BF16 or F32 [{1}, {2}]", v.file, config_.vocab,
          config_.hidden).str());
    return v;
  }

  /// A Hugging Face tokenizer.json equivalent to the GGUF metadata.
  llvm::Expected<std::string> tokenizerJson() const override {
    auto model = file_->getString("tokenizer.ggml.model");
    if (!model)
      return model.takeError();
    std::string pre = "llama-bpe";
    if (auto p = file_->getString("tokenizer.ggml.pre"))
      pre = *p;
    else
      llvm::consumeError(p.takeError());
    if (*model != "gpt2" || pre != "llama-bpe")
      return llvm::createStringError(file_->name() + ": tokenizer '" + *model + "'/'" + pre +
                                     "' is not supported (Tern reads the Llama 3 byte-level BPE)");
    auto tokens = file_->getStrings("tokenizer.ggml.tokens");
    auto types = tokens ? file_->getInts("tokenizer.ggml.token_type")
                        : llvm::Expected<const std::vector<int64_t> *>(nullptr);
    auto merges = types ? file_->getStrings("tokenizer.ggml.merges")
                        : llvm::Expected<const std::vector<std::string> *>(nullptr);
    if (!tokens)
      return tokens.takeError();
    if (!types)
      return types.takeError();
    if (!merges)
      return merges.takeError();
    if ((*types)->size() != (*tokens)->size())
      return llvm::createStringError(file_->name() + ": token_type and tokens differ in length");
    std::string text;
    llvm::raw_string_ostream os(text);
    llvm::json::OStream json(os);
    // llama.cpp token types: 3 control, 4 user defined: the added tokens.
    auto added = [&](size_t id) { return (**types)[id] == 3 || (**types)[id] == 4; };
    json.object([&] {
      json.attribute("version", "1.0");
      json.attributeArray("added_tokens", [&] {
        for (size_t id = 0; id < (*tokens)->size(); ++id)
          if (added(id))
            json.object([&] {
              json.attribute("id", static_cast<int64_t>(id));
              json.attribute("content", (**tokens)[id]);
              json.attribute("single_word", false);
              json.attribute("lstrip", false);
              json.attribute("rstrip", false);
              json.attribute("normalized", false);
              json.attribute("special", (**types)[id] == 3);
            });
      });
      json.attribute("normalizer", nullptr);
      json.attributeObject("pre_tokenizer", [&] {
        json.attribute("type", "Sequence");
        json.attributeArray("pretokenizers", [&] {
          json.object([&] {
            json.attribute("type", "Split");
            json.attributeObject("pattern", [&] { json.attribute("Regex", kLlama3Split); });
            json.attribute("behavior", "Isolated");
            json.attribute("invert", false);
          });
          json.object([&] {
            json.attribute("type", "ByteLevel");
            json.attribute("add_prefix_space", false);
            json.attribute("trim_offsets", true);
            json.attribute("use_regex", false);
          });
        });
      });
      json.attributeObject("post_processor", [&] {
        json.attribute("type", "ByteLevel");
        json.attribute("add_prefix_space", true);
        json.attribute("trim_offsets", false);
        json.attribute("use_regex", true);
      });
      json.attributeObject("decoder", [&] {
        json.attribute("type", "ByteLevel");
        json.attribute("add_prefix_space", true);
        json.attribute("trim_offsets", true);
        json.attribute("use_regex", true);
      });
      json.attributeObject("model", [&] {
        json.attribute("type", "BPE");
        json.attribute("ignore_merges", true);
        json.attribute("byte_fallback", false);
        json.attributeObject("vocab", [&] {
          for (size_t id = 0; id < (*tokens)->size(); ++id)
            if (!added(id))
              json.attribute((**tokens)[id], static_cast<int64_t>(id));
        });
        json.attributeArray("merges", [&] {
          for (const std::string &m : **merges)
            json.value(m);
        });
      });
    });
    return text;
  }

  std::string chatTemplate() const override {
    auto t = file_->getString("tokenizer.chat_template");
    if (t)
      return *t;
    llvm::consumeError(t.takeError());
    return "";
  }

private:
  int64_t optionalInt(llvm::StringRef key) const {
    auto v = file_->getInt(key);
    if (v)
      return *v;
    llvm::consumeError(v.takeError());
    return -1;
  }

  llvm::Expected<const TensorView *> linearView(int64_t layer, llvm::StringRef role) const {
    static const std::map<std::string, std::string> names = {
        {"q_proj", "attn_q"},      {"k_proj", "attn_k"},  {"v_proj", "attn_v"},
        {"o_proj", "attn_output"}, {"gate_proj", "ffn_gate"}, {"up_proj", "ffn_up"},
        {"down_proj", "ffn_down"}};
    std::string name = "blk." + std::to_string(layer) + "." + names.at(role.str()) + ".weight";
    auto t = file_->tensor(name);
    if (!t)
      return t.takeError();
    int64_t rows = config_.hidden, cols = config_.hidden;
    if (role == "k_proj" || role == "v_proj")
      rows = config_.kvDim();
    else if (role == "gate_proj" || role == "up_proj")
      rows = config_.intermediate;
    else if (role == "down_proj")
      cols = config_.intermediate;
    if ((*t)->dtype != DType::I2S || (*t)->shape != std::vector<int64_t>{rows, cols})
      return llvm::createStringError(llvm::formatv("{0}: tensor {1} must be I2_S [{2}, {3}]",
                                                   (*t)->file, name, rows, cols).str());
    return t;
  }

  std::unique_ptr<GgufFile> file_;
};

} // namespace

llvm::Expected<std::unique_ptr<Checkpoint>> openGgufCheckpoint(const std::string &path) {
  auto checkpoint = std::make_unique<GgufCheckpoint>();
  if (llvm::Error e = checkpoint->open(path))
    return std::move(e);
  return std::unique_ptr<Checkpoint>(std::move(checkpoint));
}

} // namespace tern
