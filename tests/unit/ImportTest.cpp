//===- ImportTest.cpp - checkpoint readers, valid and hostile files -------===//
//
// A small synthetic model is written in each format, read back and compared
// with the values tern-synth generated; then copies are damaged one way at a
// time and each must be refused with a message naming the file and tensor.
//
//===----------------------------------------------------------------------===//
#include "compiler/import/Checkpoint.h"
#include "tools/tern-synth/SyntheticCheckpoint.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <functional>
#include <iterator>

using namespace tern;

namespace {

synth::ModelShape microShape() {
  synth::ModelShape s;
  s.name = "micro";
  s.hidden = 64;
  s.intermediate = 96;
  s.layers = 2;
  s.heads = 2;
  s.kvHeads = 1;
  s.vocab = 512;
  s.context = 64;
  s.bosId = 1;
  s.eosId = 2;
  return s;
}

std::string readAll(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void writeAll(const std::string &path, const std::string &bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

class ImportTest : public ::testing::Test {
protected:
  void SetUp() override {
    llvm::SmallString<128> d;
    llvm::sys::path::system_temp_directory(true, d);
    llvm::sys::path::append(d, "tern-import-test-" + std::to_string(::getpid()) + "-" +
                                   ::testing::UnitTest::GetInstance()->current_test_info()->name());
    dir = std::string(d);
    llvm::sys::fs::remove_directories(dir);
    hf = dir + "/hf";
    master = dir + "/master";
    gguf = dir + "/model.gguf";
    ASSERT_FALSE(static_cast<bool>(llvm::sys::fs::create_directories(dir)));
    auto check = [](llvm::Error e) { ASSERT_FALSE(static_cast<bool>(e)) << llvm::toString(std::move(e)); };
    check(synth::writeHuggingFace(model, true, hf, "", {}));
    check(synth::writeHuggingFace(model, false, master, "", {}));
    check(synth::writeGguf(model, gguf, "", {}));
  }
  void TearDown() override { llvm::sys::fs::remove_directories(dir); }

  /// The message openCheckpoint (and, if given, a read) fails with.
  std::string openError(const std::string &path,
                        const std::function<llvm::Error(const Checkpoint &)> &use = {}) {
    auto c = openCheckpoint(path);
    if (!c)
      return llvm::toString(c.takeError());
    if (use)
      if (llvm::Error e = use(**c))
        return llvm::toString(std::move(e));
    return "(no error)";
  }

  /// Rewrites the JSON header of DIR/model.safetensors, keeping the data.
  void editHeader(const std::function<void(llvm::json::Object &)> &edit) {
    std::string path = hf + "/model.safetensors";
    std::string bytes = readAll(path);
    uint64_t size = 0;
    std::memcpy(&size, bytes.data(), 8);
    auto header = llvm::json::parse(bytes.substr(8, size));
    ASSERT_TRUE(static_cast<bool>(header));
    edit(*header->getAsObject());
    std::string text;
    llvm::raw_string_ostream os(text);
    os << *header;
    uint64_t newSize = text.size();
    writeAll(path, std::string(reinterpret_cast<char *>(&newSize), 8) + text + bytes.substr(8 + size));
  }

  synth::SyntheticModel model{microShape(), 3};
  std::string dir, hf, master, gguf;
};

#define EXPECT_CONTAINS(text, part)                                                                \
  do {                                                                                             \
    std::string t = (text);                                                                        \
    EXPECT_NE(t.find(part), std::string::npos) << "message: " << t;                               \
  } while (0)

TEST_F(ImportTest, EveryFormatReadsTheWeightsTernSynthWrote) {
  for (const std::string &path : {hf, master, gguf}) {
    auto c = openCheckpoint(path);
    ASSERT_TRUE(static_cast<bool>(c)) << llvm::toString(c.takeError());
    const ModelConfig &cfg = (*c)->config();
    EXPECT_EQ(cfg.hidden, 64);
    EXPECT_EQ(cfg.intermediate, 96);
    EXPECT_EQ(cfg.layers, 2);
    EXPECT_EQ(cfg.kvHeads, 1);
    EXPECT_EQ(cfg.vocab, 512);
    for (int64_t layer : {0, 1})
      for (const synth::TensorSpec &spec : synth::modelTensors(microShape())) {
        std::string prefix = "model.layers." + std::to_string(layer) + ".";
        if (spec.role != synth::Role::Linear || spec.name.rfind(prefix, 0) != 0)
          continue;
        std::string role = spec.name.substr(spec.name.rfind('.') + 1);
        auto t = (*c)->linear(layer, role);
        ASSERT_TRUE(static_cast<bool>(t)) << llvm::toString(t.takeError());
        std::vector<int8_t> expected;
        float scale;
        model.ternaryWeights(spec, expected, scale);
        EXPECT_EQ(t->values, expected) << path << " " << spec.name;
        // Packed files store weight_scale as bf16 (GGUF its reciprocal in f32).
        EXPECT_NEAR(t->scale, scale, scale * 1e-2) << path << " " << spec.name;
      }
    auto norm = (*c)->norm(0, "ffn_sub_norm");
    ASSERT_TRUE(static_cast<bool>(norm));
    EXPECT_EQ(norm->size(), 96u);
  }
}

TEST_F(ImportTest, MissingConfig) {
  llvm::sys::fs::remove(hf + "/config.json");
  EXPECT_CONTAINS(openError(hf), "cannot read " + hf + "/config.json");
}

TEST_F(ImportTest, ConfigIsNotJson) {
  writeAll(hf + "/config.json", "{\"hidden_size\": ");
  EXPECT_CONTAINS(openError(hf), hf + "/config.json: not valid JSON");
}

TEST_F(ImportTest, UnknownArchitecture) {
  std::string config = readAll(hf + "/config.json");
  config.replace(config.find("BitNetForCausalLM"), 17, "LlamaForCausalLM");
  writeAll(hf + "/config.json", config);
  EXPECT_CONTAINS(openError(hf), "architecture is not BitNetForCausalLM");
}

TEST_F(ImportTest, UnsupportedActivation) {
  std::string config = readAll(hf + "/config.json");
  config.replace(config.find("\"relu2\""), 7, "\"gelu\"");
  writeAll(hf + "/config.json", config);
  EXPECT_CONTAINS(openError(hf), "hidden_act 'gelu' is not supported");
}

TEST_F(ImportTest, InconsistentSizes) {
  std::string config = readAll(hf + "/config.json");
  config.replace(config.find("\"num_attention_heads\": 2"), 24, "\"num_attention_heads\": 3");
  writeAll(hf + "/config.json", config);
  EXPECT_CONTAINS(openError(hf), "hidden size 64 is not a multiple of the 3 attention heads");
}

TEST_F(ImportTest, MissingWeightsFile) {
  llvm::sys::fs::remove(hf + "/model.safetensors");
  EXPECT_CONTAINS(openError(hf), "has neither model.safetensors nor model.safetensors.index.json");
}

TEST_F(ImportTest, TruncatedSafetensors) {
  std::string bytes = readAll(hf + "/model.safetensors");
  writeAll(hf + "/model.safetensors", bytes.substr(0, bytes.size() / 2));
  EXPECT_CONTAINS(openError(hf), "(truncated file or lying header)");
}

TEST_F(ImportTest, HeaderLongerThanTheFile) {
  std::string bytes = readAll(hf + "/model.safetensors");
  uint64_t huge = bytes.size() + 100;
  std::memcpy(bytes.data(), &huge, 8);
  writeAll(hf + "/model.safetensors", bytes);
  EXPECT_CONTAINS(openError(hf), "truncated: the header claims");
}

TEST_F(ImportTest, HeaderLiesAboutASize) {
  editHeader([](llvm::json::Object &h) {
    llvm::json::Array *offsets =
        h.getObject("model.norm.weight")->getArray("data_offsets");
    (*offsets)[1] = *(*offsets)[1].getAsInteger() - 2;
  });
  EXPECT_CONTAINS(openError(hf), "tensor model.norm.weight: 126 bytes for 64 elements of BF16 (expected 128)");
}

TEST_F(ImportTest, OverlappingTensors) {
  editHeader([](llvm::json::Object &h) {
    llvm::json::Array *a = h.getObject("model.norm.weight")->getArray("data_offsets");
    llvm::json::Array *b = h.getObject("model.layers.0.input_layernorm.weight")->getArray("data_offsets");
    *a = *b;
  });
  EXPECT_CONTAINS(openError(hf), "tensors overlap");
}

TEST_F(ImportTest, MissingTensor) {
  editHeader([](llvm::json::Object &h) {
    llvm::json::Value v = *h.get("model.layers.1.mlp.up_proj.weight");
    h.erase("model.layers.1.mlp.up_proj.weight");
    h["model.layers.1.mlp.up_proj.weight_renamed"] = std::move(v);
  });
  EXPECT_CONTAINS(openError(hf), hf + ": missing tensor model.layers.1.mlp.up_proj.weight");
}

TEST_F(ImportTest, WrongDtype) {
  editHeader([](llvm::json::Object &h) {
    h.getObject("model.layers.0.self_attn.k_proj.weight")->getArray("shape")->back() = 16;
    (*h.getObject("model.layers.0.self_attn.k_proj.weight"))["dtype"] = "F32";
  });
  EXPECT_CONTAINS(openError(hf), "tensor model.layers.0.self_attn.k_proj.weight is F32 [8, 16], expected U8 [8, 64]");
}

TEST_F(ImportTest, InvalidTernaryCode) {
  // Set a byte of q_proj to 0xff: four 2-bit codes of 3.
  std::string path = hf + "/model.safetensors";
  std::string bytes = readAll(path);
  uint64_t size = 0;
  std::memcpy(&size, bytes.data(), 8);
  auto header = llvm::json::parse(bytes.substr(8, size));
  int64_t begin = *header->getAsObject()
                       ->getObject("model.layers.1.self_attn.q_proj.weight")
                       ->getArray("data_offsets")
                       ->front()
                       .getAsInteger();
  bytes[8 + size + begin + 70] = '\xff';
  writeAll(path, bytes);
  EXPECT_CONTAINS(openError(hf, [](const Checkpoint &c) { return c.linear(1, "q_proj").takeError(); }),
                  "tensor model.layers.1.self_attn.q_proj.weight holds the invalid 2-bit code 3 "
                  "(byte row 1, column 6)");
}

TEST_F(ImportTest, GgufBadMagic) {
  std::string bytes = readAll(gguf);
  bytes[0] = 'X';
  writeAll(gguf, bytes);
  EXPECT_CONTAINS(openError(gguf), gguf + ": not a GGUF file (bad magic number)");
}

TEST_F(ImportTest, GgufUnsupportedVersion) {
  std::string bytes = readAll(gguf);
  bytes[4] = 1;
  writeAll(gguf, bytes);
  EXPECT_CONTAINS(openError(gguf), "GGUF version 1 is not supported (2 or 3)");
}

TEST_F(ImportTest, GgufTruncated) {
  std::string bytes = readAll(gguf);
  writeAll(gguf, bytes.substr(0, bytes.size() - 5000));
  EXPECT_CONTAINS(openError(gguf), "runs past the end of the file (truncated?)");
}

TEST_F(ImportTest, GgufTruncatedInTheHeader) {
  writeAll(gguf, readAll(gguf).substr(0, 40));
  EXPECT_CONTAINS(openError(gguf), gguf + ": at byte 32: a metadata key of 20 bytes runs past the end of the file");
}

TEST_F(ImportTest, GgufWrongArchitecture) {
  std::string bytes = readAll(gguf);
  size_t at = bytes.find("bitnet-b1.58");
  bytes.replace(at, 12, "llama-llama!");
  writeAll(gguf, bytes);
  EXPECT_CONTAINS(openError(gguf), "architecture 'llama-llama!' is not a BitNet b1.58 model");
}

TEST_F(ImportTest, GgufMissingTensor) {
  std::string bytes = readAll(gguf);
  size_t at = bytes.find("blk.1.ffn_up.weight");
  bytes[at + 10] = 'U';
  writeAll(gguf, bytes);
  EXPECT_CONTAINS(openError(gguf), gguf + ": missing tensor blk.1.ffn_up.weight");
}

TEST_F(ImportTest, GgufUnknownTensorType) {
  // output_norm.weight: name, then u32 dims = 1, u64 extent, u32 type.
  std::string bytes = readAll(gguf);
  size_t at = bytes.find("output_norm.weight") + std::strlen("output_norm.weight") + 4 + 8;
  uint32_t q4 = 2;
  std::memcpy(&bytes[at], &q4, 4);
  writeAll(gguf, bytes);
  EXPECT_CONTAINS(openError(gguf), "tensor output_norm.weight has ggml type 2; Tern reads F32, F16, BF16 and I2_S");
}

TEST_F(ImportTest, GgufDimensionsWhoseProductOverflows) {
  // Found by fuzz-gguf: two dimensions of 2^40 each.
  std::string bytes = readAll(gguf);
  size_t at = bytes.find("token_embd.weight") + std::strlen("token_embd.weight") + 4;
  uint64_t huge = 1ull << 40;
  std::memcpy(&bytes[at], &huge, 8);
  std::memcpy(&bytes[at + 8], &huge, 8);
  writeAll(gguf, bytes);
  EXPECT_CONTAINS(openError(gguf), gguf + ": tensor token_embd.weight has an implausible size");
}

TEST_F(ImportTest, NoSuchCheckpoint) {
  EXPECT_EQ(openError(dir + "/nothing-here"), "checkpoint " + dir + "/nothing-here does not exist");
}

} // namespace
