//===- Checkpoint.cpp - format dispatch and shared checks -----------------===//
#include "compiler/import/Checkpoint.h"
#include "compiler/import/Formats.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"

namespace tern {

const char *dtypeName(DType t) {
  switch (t) {
  case DType::U8: return "U8";
  case DType::I8: return "I8";
  case DType::BF16: return "BF16";
  case DType::F16: return "F16";
  case DType::F32: return "F32";
  case DType::I2S: return "I2_S";
  }
  return "?";
}

int64_t TensorView::elements() const {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

llvm::Error validateConfig(const ModelConfig &c, const std::string &where) {
  auto fail = [&](const llvm::Twine &what) {
    return llvm::createStringError(where + ": " + what.str());
  };
  struct {
    const char *name;
    int64_t value;
  } sizes[] = {{"hidden size", c.hidden},       {"intermediate size", c.intermediate},
               {"layer count", c.layers},       {"attention head count", c.heads},
               {"key/value head count", c.kvHeads}, {"vocabulary size", c.vocab},
               {"context length", c.context}};
  for (auto [name, value] : sizes)
    if (value <= 0 || value > (1ll << 31))
      return fail(llvm::formatv("{0} must be a positive integer, got {1}", name, value));
  if (c.hidden % c.heads != 0)
    return fail(llvm::formatv("hidden size {0} is not a multiple of the {1} attention heads",
                              c.hidden, c.heads));
  if (c.heads % c.kvHeads != 0)
    return fail(llvm::formatv("{0} attention heads are not a multiple of the {1} key/value heads",
                              c.heads, c.kvHeads));
  if (c.headDim() % 2 != 0)
    return fail(llvm::formatv("head dimension {0} must be even for rotary embeddings", c.headDim()));
  if (c.hidden % 4 != 0 || c.intermediate % 4 != 0)
    return fail("hidden and intermediate sizes must be multiples of 4 (packed ternary weights)");
  if (!(c.rmsNormEps > 0) || !(c.ropeTheta > 0))
    return fail("rms_norm_eps and rope_theta must be positive");
  if (c.bosId >= c.vocab || c.eosId >= c.vocab)
    return fail("bos/eos token ids lie outside the vocabulary");
  return llvm::Error::success();
}

llvm::Expected<std::unique_ptr<Checkpoint>> openCheckpoint(const std::string &path) {
  if (llvm::sys::fs::is_directory(path))
    return openHuggingFaceCheckpoint(path);
  if (!llvm::sys::fs::exists(path))
    return llvm::createStringError("checkpoint " + path + " does not exist");
  return openGgufCheckpoint(path);
}

} // namespace tern
