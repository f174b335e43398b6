//===- SyntheticCheckpoint.cpp - the formats tern-synth writes ------------===//
#include "tools/tern-synth/SyntheticCheckpoint.h"
#include "tools/common/TextFile.h"
#include "tools/tern-synth/CheckpointWriters.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <cstring>
#include <map>

namespace tern::synth {
namespace {

/// Reports progress over the bytes of the checkpoint.
class ProgressCounter {
public:
  ProgressCounter(uint64_t total, const ProgressFn &fn) : total_(total), fn_(fn) {}
  void advance(uint64_t bytes, const std::string &what) {
    done_ += bytes;
    if (fn_)
      fn_(total_ ? static_cast<double>(done_) / total_ : 1.0, what);
  }

private:
  uint64_t total_, done_ = 0;
  const ProgressFn &fn_;
};

llvm::Expected<std::string> readFile(const std::string &path) {
  auto buffer = llvm::MemoryBuffer::getFile(path);
  if (!buffer)
    return llvm::createStringError("cannot read " + path + ": " + buffer.getError().message());
  return (*buffer)->getBuffer().str();
}

std::string join(const std::string &dir, const std::string &name) {
  llvm::SmallString<256> p(dir);
  llvm::sys::path::append(p, name);
  return std::string(p);
}

/// HF packing: byte row r of [rows/4, cols] holds rows r, r + rows/4,
/// r + 2 rows/4, r + 3 rows/4 in bit pairs 0-1, 2-3, 4-5, 6-7 as w + 1.
std::vector<uint8_t> packHuggingFace(const std::vector<int8_t> &t, int64_t rows, int64_t cols) {
  int64_t quarter = rows / 4;
  std::vector<uint8_t> out(quarter * cols, 0);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c)
      out[(r % quarter) * cols + c] |=
          static_cast<uint8_t>((t[r * cols + c] + 1) << (2 * (r / quarter)));
  return out;
}

/// bitnet.cpp i2_s (x86 layout): the row-major weights in blocks of 128; byte
/// j of a block's 32 holds weights j, j+32, j+64, j+96 in bits 7-6, 5-4, 3-2,
/// 1-0 as w + 1; then the f32 scale and padding to 32 bytes.
std::vector<uint8_t> packI2S(const std::vector<int8_t> &t, float scale) {
  uint64_t n = t.size();
  std::vector<uint8_t> out(n / 4 + 32, 0);
  for (uint64_t i = 0; i < n; ++i)
    out[(i / 128) * 32 + i % 32] |= static_cast<uint8_t>((t[i] + 1) << (6 - 2 * ((i % 128) / 32)));
  std::memcpy(out.data() + n / 4, &scale, 4);
  return out;
}

llvm::Error writeConfig(const ModelShape &s, bool packed, const std::string &dir) {
  std::string text;
  llvm::raw_string_ostream os(text);
  llvm::json::OStream json(os, 2);
  json.object([&] {
    json.attributeArray("architectures", [&] { json.value("BitNetForCausalLM"); });
    json.attribute("model_type", "bitnet");
    json.attribute("hidden_act", "relu2");
    json.attribute("hidden_size", s.hidden);
    json.attribute("intermediate_size", s.intermediate);
    json.attribute("num_hidden_layers", s.layers);
    json.attribute("num_attention_heads", s.heads);
    json.attribute("num_key_value_heads", s.kvHeads);
    json.attribute("vocab_size", s.vocab);
    json.attribute("max_position_embeddings", s.context);
    json.attribute("rms_norm_eps", s.rmsNormEps);
    json.attribute("rope_theta", s.ropeTheta);
    json.attribute("tie_word_embeddings", true);
    json.attribute("bos_token_id", s.bosId);
    json.attribute("eos_token_id", s.eosId);
    json.attribute("attention_bias", false);
    json.attribute("torch_dtype", "bfloat16");
    if (packed)
      json.attributeObject("quantization_config", [&] {
        json.attribute("quant_method", "bitnet");
        json.attribute("linear_class", "autobitlinear");
        json.attribute("quantization_mode", "offline");
      });
  });
  os << "\n";
  return writeTextFile(join(dir, "config.json"), text);
}

} // namespace

llvm::Error writeHuggingFace(const SyntheticModel &model, bool packed, const std::string &dir,
                             const std::string &tokenizerDir, const ProgressFn &onProgress) {
  const ModelShape &s = model.shape();
  if (std::error_code ec = llvm::sys::fs::create_directories(dir))
    return llvm::createStringError("cannot create " + dir + ": " + ec.message());
  for (const char *name : {"tokenizer.json", "tokenizer_config.json"})
    if (!tokenizerDir.empty())
      if (std::error_code ec = llvm::sys::fs::copy_file(join(tokenizerDir, name), join(dir, name)))
        return llvm::createStringError("cannot copy " + join(tokenizerDir, name) + ": " +
                                       ec.message() +
                                       " (run `npm ci --prefix tests/tokenizer` or pass --tokenizer-dir)");
  if (llvm::Error e = writeConfig(s, packed, dir))
    return e;

  std::vector<TensorSpec> tensors = modelTensors(s);
  SafetensorsWriter writer;
  uint64_t total = 0;
  for (const TensorSpec &t : tensors) {
    if (t.role != Role::Linear) {
      std::vector<int64_t> shape = {t.rows};
      if (t.cols)
        shape.push_back(t.cols);
      writer.declare(t.name + ".weight", "BF16", shape);
      total += 2 * t.rows * (t.cols ? t.cols : 1);
    } else if (packed) {
      writer.declare(t.name + ".weight", "U8", {t.rows / 4, t.cols});
      writer.declare(t.name + ".weight_scale", "BF16", {1});
      total += t.rows * t.cols / 4 + 2;
    } else {
      writer.declare(t.name + ".weight", "BF16", {t.rows, t.cols});
      total += 2 * t.rows * t.cols;
    }
  }
  if (llvm::Error e = writer.open(join(dir, "model.safetensors")))
    return e;
  ProgressCounter progress(total, onProgress);
  for (const TensorSpec &t : tensors) {
    if (t.role != Role::Linear) {
      std::vector<uint16_t> v = model.floatTensor(t);
      if (llvm::Error e = writer.write(t.name + ".weight", v.data(), v.size() * 2))
        return e;
      progress.advance(v.size() * 2, t.name);
    } else if (packed) {
      std::vector<int8_t> ternary;
      float scale;
      model.ternaryWeights(t, ternary, scale);
      std::vector<uint8_t> bytes = packHuggingFace(ternary, t.rows, t.cols);
      uint16_t scaleBits = toBf16(scale);
      if (llvm::Error e = writer.write(t.name + ".weight", bytes.data(), bytes.size()))
        return e;
      if (llvm::Error e = writer.write(t.name + ".weight_scale", &scaleBits, 2))
        return e;
      progress.advance(bytes.size() + 2, t.name);
    } else {
      std::vector<uint16_t> v = model.masterWeights(t);
      if (llvm::Error e = writer.write(t.name + ".weight", v.data(), v.size() * 2))
        return e;
      progress.advance(v.size() * 2, t.name);
    }
  }
  return writer.close();
}

/// GGUF names of the Hugging Face tensors (llama.cpp's BitNet mapping).
std::string ggufName(const std::string &hf) {
  static const std::map<std::string, std::string> suffixes = {
      {"input_layernorm", "attn_norm"},          {"self_attn.q_proj", "attn_q"},
      {"self_attn.k_proj", "attn_k"},            {"self_attn.v_proj", "attn_v"},
      {"self_attn.attn_sub_norm", "attn_sub_norm"}, {"self_attn.o_proj", "attn_output"},
      {"post_attention_layernorm", "ffn_norm"},  {"mlp.gate_proj", "ffn_gate"},
      {"mlp.up_proj", "ffn_up"},                 {"mlp.ffn_sub_norm", "ffn_sub_norm"},
      {"mlp.down_proj", "ffn_down"}};
  if (hf == "model.embed_tokens")
    return "token_embd.weight";
  if (hf == "model.norm")
    return "output_norm.weight";
  llvm::StringRef rest(hf);
  rest.consume_front("model.layers.");
  auto [layer, suffix] = rest.split('.');
  return "blk." + layer.str() + "." + suffixes.at(suffix.str()) + ".weight";
}

llvm::Error addTokenizerMetadata(GgufWriter &writer, const ModelShape &s,
                                 const std::string &tokenizerDir) {
  auto tokenizerText = readFile(join(tokenizerDir, "tokenizer.json"));
  if (!tokenizerText)
    return llvm::joinErrors(tokenizerText.takeError(),
                            llvm::createStringError("run `npm ci --prefix tests/tokenizer` or "
                                                    "pass --tokenizer-dir"));
  auto configText = readFile(join(tokenizerDir, "tokenizer_config.json"));
  if (!configText)
    return configText.takeError();
  auto tokenizer = llvm::json::parse(*tokenizerText);
  auto config = llvm::json::parse(*configText);
  if (!tokenizer || !config)
    return llvm::createStringError("the tokenizer files in " + tokenizerDir + " are not JSON");
  const llvm::json::Object *model = tokenizer->getAsObject()->getObject("model");
  std::vector<std::string> tokens(s.vocab);
  std::vector<int32_t> types(s.vocab, 1); // normal
  for (const auto &[text, id] : *model->getObject("vocab"))
    if (auto i = id.getAsInteger(); i && *i < s.vocab)
      tokens[*i] = text.str();
  for (const llvm::json::Value &added : *tokenizer->getAsObject()->getArray("added_tokens")) {
    const llvm::json::Object *a = added.getAsObject();
    int64_t id = *a->getInteger("id");
    if (id < s.vocab) {
      tokens[id] = a->getString("content")->str();
      types[id] = a->getBoolean("special").value_or(false) ? 3 : 4; // control : user defined
    }
  }
  std::vector<std::string> merges;
  for (const llvm::json::Value &m : *model->getArray("merges")) {
    if (auto text = m.getAsString())
      merges.push_back(text->str());
    else if (const llvm::json::Array *pair = m.getAsArray())
      merges.push_back((*pair)[0].getAsString()->str() + " " + (*pair)[1].getAsString()->str());
  }
  writer.addString("tokenizer.ggml.model", "gpt2");
  writer.addString("tokenizer.ggml.pre", "llama-bpe");
  writer.addStringArray("tokenizer.ggml.tokens", tokens);
  writer.addInt32Array("tokenizer.ggml.token_type", types);
  writer.addStringArray("tokenizer.ggml.merges", merges);
  writer.addUInt32("tokenizer.ggml.bos_token_id", static_cast<uint32_t>(s.bosId));
  writer.addUInt32("tokenizer.ggml.eos_token_id", static_cast<uint32_t>(s.eosId));
  if (auto tmpl = config->getAsObject()->getString("chat_template"))
    writer.addString("tokenizer.chat_template", tmpl->str());
  return llvm::Error::success();
}

llvm::Error writeGguf(const SyntheticModel &model, const std::string &path,
                      const std::string &tokenizerDir, const ProgressFn &onProgress) {
  const ModelShape &s = model.shape();
  GgufWriter writer;
  const std::string arch = "bitnet-b1.58";
  writer.addString("general.architecture", arch);
  writer.addString("general.name", "tern-synth " + s.name);
  writer.addUInt32("general.file_type", 40); // LLAMA_FTYPE_MOSTLY_I2_S
  writer.addUInt32("general.alignment", GgufWriter::kAlignment);
  writer.addUInt32(arch + ".vocab_size", s.vocab);
  writer.addUInt32(arch + ".context_length", s.context);
  writer.addUInt32(arch + ".embedding_length", s.hidden);
  writer.addUInt32(arch + ".block_count", s.layers);
  writer.addUInt32(arch + ".feed_forward_length", s.intermediate);
  writer.addUInt32(arch + ".rope.dimension_count", s.headDim());
  writer.addUInt32(arch + ".attention.head_count", s.heads);
  writer.addUInt32(arch + ".attention.head_count_kv", s.kvHeads);
  writer.addFloat32(arch + ".attention.layer_norm_rms_epsilon", static_cast<float>(s.rmsNormEps));
  writer.addFloat32(arch + ".rope.freq_base", static_cast<float>(s.ropeTheta));
  if (!tokenizerDir.empty())
    if (llvm::Error e = addTokenizerMetadata(writer, s, tokenizerDir))
      return e;

  std::vector<TensorSpec> tensors = modelTensors(s);
  uint64_t total = 0;
  for (const TensorSpec &t : tensors) {
    if (t.role == Role::Linear) {
      if ((t.rows * t.cols) % 128 != 0)
        return llvm::createStringError("i2_s needs a multiple of 128 weights: " + t.name);
      writer.declareTensor(ggufName(t.name), {uint64_t(t.cols), uint64_t(t.rows)},
                           GgufWriter::TensorType::I2_S, t.rows * t.cols / 4 + 32);
      total += t.rows * t.cols / 4 + 32;
    } else if (t.role == Role::Embedding) {
      writer.declareTensor(ggufName(t.name), {uint64_t(t.cols), uint64_t(t.rows)},
                           GgufWriter::TensorType::F16, 2 * t.rows * t.cols);
      total += 2 * t.rows * t.cols;
    } else {
      writer.declareTensor(ggufName(t.name), {uint64_t(t.rows)}, GgufWriter::TensorType::F32,
                           4 * t.rows);
      total += 4 * t.rows;
    }
  }
  if (llvm::Error e = writer.open(path))
    return e;
  ProgressCounter progress(total, onProgress);
  for (const TensorSpec &t : tensors) {
    std::string name = ggufName(t.name);
    if (t.role == Role::Linear) {
      std::vector<int8_t> ternary;
      float scale;
      model.ternaryWeights(t, ternary, scale);
      // i2_s multiplies by its scale where Hugging Face divides by weight_scale.
      std::vector<uint8_t> bytes = packI2S(ternary, 1.0f / fromBf16(toBf16(scale)));
      if (llvm::Error e = writer.write(name, bytes.data(), bytes.size()))
        return e;
      progress.advance(bytes.size(), t.name);
    } else if (t.role == Role::Embedding) {
      std::vector<uint16_t> v = model.floatTensor(t);
      for (uint16_t &x : v)
        x = toF16(fromBf16(x));
      if (llvm::Error e = writer.write(name, v.data(), v.size() * 2))
        return e;
      progress.advance(v.size() * 2, t.name);
    } else {
      std::vector<uint16_t> v = model.floatTensor(t);
      std::vector<float> f(v.size());
      for (size_t i = 0; i < v.size(); ++i)
        f[i] = fromBf16(v[i]);
      if (llvm::Error e = writer.write(name, f.data(), f.size() * 4))
        return e;
      progress.advance(f.size() * 4, t.name);
    }
  }
  return writer.close();
}

} // namespace tern::synth
