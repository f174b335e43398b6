//===- ternc.cpp - the Tern compiler driver -------------------------------===//
#include "compiler/pipeline/Emitter.h"
#include "compiler/import/Checkpoint.h"
#include "compiler/pipeline/MatmulKernel.h"
#include "compiler/pipeline/ModelArtifact.h"
#include "compiler/pipeline/Registration.h"
#include "compiler/tuning/KernelChoice.h"
#include "targets/MachineDescription.h"

#include "mlir/AsmParser/AsmParser.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/WithColor.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>

namespace cl = llvm::cl;
using namespace tern;

namespace {

cl::SubCommand kernelCommand("kernel", "Compile one ternary matmul y = (a . w^T) / (a_scale * "
                                       "w_scale) into a kernel library the runtime loads");
cl::SubCommand compileCommand("compile", "Compile a BitNet b1.58 checkpoint (Hugging Face "
                                         "directory or GGUF) into a NAME.tern artifact directory");

cl::OptionCategory modelCategory("Model");
cl::opt<std::string> modelOpt("model",
                              cl::desc("Checkpoint: a Hugging Face directory (config.json, "
                                       "model.safetensors, tokenizer files) or a .gguf file"),
                              cl::value_desc("path"), cl::Required, cl::sub(compileCommand),
                              cl::cat(modelCategory));
cl::opt<int64_t> contextOpt("context",
                            cl::desc("Positions the KV cache holds (default: the model's "
                                     "context length)"),
                            cl::init(0), cl::sub(compileCommand), cl::cat(modelCategory));
cl::opt<int64_t> maxBatchOpt("max-batch", cl::desc("Most tokens one prefill call processes"),
                             cl::init(256), cl::sub(compileCommand), cl::cat(modelCategory));
enum class HeadTable { AsStored, Int8 };
cl::opt<HeadTable> headOpt(
    "head", cl::desc("What the output head reads (its table is tied with the embeddings)"),
    cl::values(clEnumValN(HeadTable::AsStored, "as-stored",
                          "the embedding table as the checkpoint stores it (bf16 for BitNet "
                          "b1.58 2B4T; the default)"),
               clEnumValN(HeadTable::Int8, "int8",
                          "an int8 copy with one f32 scale per row: half of a bf16 table's "
                          "bytes, the largest read of a decode step; logits differ slightly. "
                          "Token lookups still read the checkpoint's table")),
    cl::init(HeadTable::AsStored), cl::sub(compileCommand), cl::cat(modelCategory));
enum class PrefillWeights { Shared, Own };
cl::opt<PrefillWeights> prefillWeightsOpt(
    "prefill-weights", cl::desc("Which copy of each ternary matrix the prefill kernels read"),
    cl::values(clEnumValN(PrefillWeights::Shared, "shared",
                          "the decode kernels', in the layout decode chose (the default)"),
               clEnumValN(PrefillWeights::Own, "own",
                          "their own, in the layout they choose: on x86 without VNNI the "
                          "rowlut strategy's idx3 (2.67 bits a weight): 1.4x the prompt speed of the "
                          "2B4T-shaped model with AVX2 (README); weights.bin grows by the copies")),
    cl::init(PrefillWeights::Shared), cl::sub(compileCommand), cl::cat(modelCategory));
cl::opt<int64_t> emulateGpuBlocksOpt(
    "emulate-gpu-blocks",
    cl::desc("Run the model ops as the GPU's blocks of this many threads and the matmuls as "
             "simt kernels, in loops on this CPU: the GPU kernels' arithmetic, tested without a "
             "GPU (0: CPU vector loops)"),
    cl::init(0), cl::Hidden, cl::sub(compileCommand), cl::cat(modelCategory));

cl::OptionCategory shapeCategory("Shape");
cl::opt<int64_t> mOpt("m", cl::desc("Activation rows (tokens) the kernel is tuned for: 1 for "
                                    "decode, more for prefill. The kernel accepts any m >= 1"),
                      cl::init(1), cl::sub(kernelCommand), cl::cat(shapeCategory));
cl::opt<int64_t> nOpt("n", cl::desc("Output features (rows of the weight matrix)"),
                      cl::Required, cl::sub(kernelCommand), cl::cat(shapeCategory));
cl::opt<int64_t> kOpt("k", cl::desc("Input features (columns of the weight matrix); a multiple "
                                    "of the packing group (4 for i2 and base3, 2 for lut2)"),
                      cl::Required, cl::sub(kernelCommand), cl::cat(shapeCategory));

cl::OptionCategory kernelCategory("Kernel");
cl::opt<std::string> strategyOpt(
    "strategy",
    cl::desc("Kernel strategy: mfree (multiply-free: int8 dot products of activations with "
             "{0,1,2}-coded weights), lut (per-row tables of group sums, indexed by the "
             "weights through byte shuffles), simt (GPU threads: one row and a slice of K "
             "each, dp4a, warp reductions; on a CPU its threads run in loops), mma (GPU tensor "
             "cores for m > 1: int8 m16n8k32 MMA on weights unpacked in registers; on a CPU "
             "each warp runs in loops), amx (x86 AMX tiles for m > 1; i2 or base3, K a multiple of 64), "
             "rowlut (CPU prefill: tables of the sums of 3 weights for 32 activation rows, one "
             "vector add per weight byte; idx3) "
             "or auto (default: the tuned choice, "
             "else amx for m > 1 where the CPU has AMX, else mfree, or simt for nvptx)"),
    cl::init("auto"), cl::sub(kernelCommand), cl::cat(kernelCategory));
cl::opt<std::string> packingOpt(
    "packing",
    cl::desc("Weight packing: i2 (2 bits per weight) or base3 (1.6 bits) for mfree; lut2 "
             "(2 bits) or lut3 (1.67 bits) for lut; idx3 (a byte per 3 weights, 2.67 bits) for "
             "rowlut. Default (auto): the tuned choice, else i2 for mfree, lut3 for lut and "
             "idx3 for rowlut"),
    cl::init("auto"), cl::sub(kernelCommand), cl::cat(kernelCategory));
cl::opt<std::string> tuningDbOpt(
    "tuning-db",
    cl::desc("tern-tune's database: the fastest measured kernel for this machine, shape and "
             "--threads is used where it has one ('none': documented defaults only). Default: "
             "$TERN_TUNING_DB, else ~/.cache/tern/tuning.db"),
    cl::value_desc("path"), cl::sub(kernelCommand), cl::sub(compileCommand),
    cl::cat(kernelCategory));
cl::opt<int64_t> threadsOpt("threads",
                            cl::desc("Threads the kernels will run on: tuning data is per thread "
                                     "count (default 1)"),
                            cl::init(1), cl::sub(kernelCommand), cl::sub(compileCommand),
                            cl::cat(kernelCategory));
cl::opt<bool> kernelReportOpt("kernel-report",
                              cl::desc("Print the kernel chosen for every matmul shape, and why "
                                       "(tuned, with its measured time, or a documented default)"),
                              cl::sub(kernelCommand), cl::sub(compileCommand),
                              cl::cat(kernelCategory));
cl::opt<std::string> kernelOpt(
    "kernel",
    cl::desc("Kernel parameters instead of the strategy's defaults, as a #tern.kernel attribute, "
             "e.g. '#tern.kernel<mfree, lanes = 16, tile_n = 32, tile_m = 4, unroll_k = 2>'"),
    cl::sub(kernelCommand), cl::cat(kernelCategory));
cl::opt<std::string> symbolOpt("symbol", cl::desc("Name of the exported C entry point"),
                               cl::init("tern_matmul"), cl::sub(kernelCommand),
                               cl::cat(kernelCategory));

cl::OptionCategory targetCategory("Target");
cl::opt<std::string> targetOpt("target",
                               cl::desc("host (this machine's CPU and features, read now), "
                                        "x86_64 (default CPU x86-64-v3), aarch64 (default "
                                        "CPU cortex-a76) or nvptx (NVIDIA GPUs: kernels as PTX; "
                                        "a model's entry points run on the host and launch them)"),
                               cl::init("host"), cl::sub(kernelCommand), cl::sub(compileCommand), cl::cat(targetCategory));
cl::opt<std::string> cpuOpt("cpu", cl::desc("LLVM CPU name for x86_64/aarch64, e.g. znver4"),
                            cl::sub(kernelCommand), cl::sub(compileCommand), cl::cat(targetCategory));
cl::opt<std::string> gpuArchOpt("gpu-arch",
                                cl::desc("GPU architecture for --target nvptx: sm_80 (default), "
                                         "sm_86, sm_89 or sm_90"),
                                cl::sub(kernelCommand), cl::sub(compileCommand),
                                cl::cat(targetCategory));
cl::opt<std::string> targetDescOpt(
    "target-desc",
    cl::desc("A machine description (targets/descriptions, docs/target-descriptions.md): a name "
             "such as ternary-npu or a .yaml file. One that declares a ternary dot product makes "
             "mfree kernels use tern.tdot, emulated by its definition on the code generation "
             "target (default: the host when the description's isa is the host's)"),
    cl::value_desc("name|file"), cl::sub(kernelCommand), cl::cat(targetCategory));
cl::opt<std::string> featuresOpt("features",
                                 cl::desc("Comma-separated feature edits, e.g. -avx512f,+avxvnni"),
                                 cl::sub(kernelCommand), cl::sub(compileCommand), cl::cat(targetCategory));

cl::OptionCategory outputCategory("Output");
cl::opt<std::string> outputOpt("o", cl::desc("Output directory (for --emit=artifact) or file "
                                             "('-' for stdout)"),
                               cl::value_desc("path"), cl::sub(kernelCommand), cl::sub(compileCommand),
                               cl::cat(outputCategory));
enum class Emit { Artifact, Tern, LLVMDialect, LLVMIR, Assembly, Object };
cl::opt<Emit> emitOpt(
    "emit", cl::desc("What to write"), cl::init(Emit::Artifact),
    cl::values(clEnumValN(Emit::Artifact, "artifact",
                          "DIR/manifest.json + DIR/kernel.so for the runtime (default)"),
               clEnumValN(Emit::Tern, "tern", "the kernel-level tern IR"),
               clEnumValN(Emit::LLVMDialect, "llvm-dialect", "the IR after tern-lower-to-llvm"),
               clEnumValN(Emit::LLVMIR, "llvm", "optimized LLVM IR"),
               clEnumValN(Emit::Assembly, "asm", "target assembly"),
               clEnumValN(Emit::Object, "obj",
                          "a relocatable object exporting the kernel (to link into a program "
                          "that defines tern_parallel_for)")),
    cl::sub(kernelCommand), cl::cat(outputCategory));
cl::opt<bool> keepIrOpt("keep-ir",
                        cl::desc("Also write the IR of every stage (.tern.mlir, .ll, .s) next to "
                                 "the library"),
                        cl::sub(kernelCommand), cl::sub(compileCommand), cl::cat(outputCategory));
cl::opt<bool> quietOpt("quiet", cl::desc("No progress messages"), cl::sub(kernelCommand), cl::sub(compileCommand),
                       cl::cat(outputCategory));

int fail(const llvm::Twine &message) {
  llvm::WithColor::error(llvm::errs(), "ternc") << message << "\n";
  return 1;
}

int fail(llvm::Error error) { return fail(llvm::toString(std::move(error))); }

llvm::Error writeOutput(llvm::StringRef path, llvm::function_ref<void(llvm::raw_ostream &)> fn) {
  if (path.empty() || path == "-") {
    fn(llvm::outs());
    return llvm::Error::success();
  }
  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec);
  if (ec)
    return llvm::createStringError("cannot write " + path.str() + ": " + ec.message());
  fn(os);
  return llvm::Error::success();
}

/// "[  1.23s] stage" lines, and a percentage for long stages.
class ProgressPrinter {
public:
  void operator()(llvm::StringRef stage, double fraction = -1.0) {
    if (quietOpt)
      return;
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    if (fraction < 0) {
      llvm::errs() << llvm::formatv("ternc: [{0,6:f2}s] {1}\n", seconds, stage);
      return;
    }
    int percent = static_cast<int>(fraction * 100);
    if (percent == lastPercent_)
      return;
    lastPercent_ = percent;
    llvm::errs() << llvm::formatv("\rternc: [{0,6:f2}s] {1} {2,3}%", seconds, stage, percent);
    if (percent == 100)
      llvm::errs() << "\n";
  }

private:
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  int lastPercent_ = -1;
};

/// The tuning database ternc reads: "" when there is none to read.
std::string tuningDbPath() {
  if (tuningDbOpt == "none")
    return "";
  std::string path = tuningDbOpt.empty() ? defaultTuningDbPath() : tuningDbOpt.getValue();
  // The default location is optional; a path given explicitly must exist.
  if (!llvm::sys::fs::exists(path) && tuningDbOpt.empty())
    return "";
  return path;
}

int runCompile(mlir::MLIRContext &ctx) {
  if (outputOpt.empty() || outputOpt == "-")
    return fail("ternc compile needs an output directory: -o NAME.tern");
  if (!gpuArchOpt.empty() && targetOpt != "nvptx")
    return fail("--gpu-arch applies to --target nvptx");
  auto target = resolveTarget(targetOpt, gpuArchOpt.empty() ? cpuOpt : gpuArchOpt, featuresOpt);
  if (!target)
    return fail(target.takeError());
  ProgressPrinter progress;
  progress("reading " + modelOpt);
  auto checkpoint = openCheckpoint(modelOpt);
  if (!checkpoint)
    return fail(checkpoint.takeError());
  const ModelConfig &c = (*checkpoint)->config();
  if (!quietOpt)
    llvm::errs() << llvm::formatv("ternc: {0}: {1} layers, hidden {2}, intermediate {3}, {4} "
                                  "heads ({5} KV), vocabulary {6}\n",
                                  (*checkpoint)->formatName(), c.layers, c.hidden, c.intermediate,
                                  c.heads, c.kvHeads, c.vocab);
  ModelCompileOptions options;
  options.outputDir = outputOpt;
  options.context = contextOpt;
  options.maxBatch = maxBatchOpt;
  options.keepIntermediates = keepIrOpt;
  options.tuningDb = tuningDbPath();
  options.threads = threadsOpt;
  options.emulateGpuBlocks = emulateGpuBlocksOpt;
  options.int8Head = headOpt == HeadTable::Int8;
  options.prefillCopies = prefillWeightsOpt == PrefillWeights::Own;
  if (!options.tuningDb.empty() && !llvm::sys::fs::exists(options.tuningDb))
    return fail("tuning database " + options.tuningDb + " does not exist");
  if (!options.tuningDb.empty() && !quietOpt)
    llvm::errs() << "ternc: choosing kernels from tuning database " << options.tuningDb << " ("
                 << threadsOpt << " thread(s))\n";
  options.progress = [&](llvm::StringRef stage, double fraction) { progress(stage, fraction); };
  auto result = compileModel(&ctx, **checkpoint, *target, options);
  if (!result)
    return fail(result.takeError());
  if (kernelReportOpt) {
    llvm::outs() << "Kernels for " << target->describe() << ":\n";
    for (const KernelUse &k : result->kernels)
      llvm::outs() << llvm::formatv("  {0,-20} m={1,-6} {2,6}x{3,-5} {4,-5} {5}\n      {6}\n",
                                    k.function, k.m ? std::to_string(k.m) : std::string("batch"),
                                    k.n, k.k, k.packing, k.kernel, k.reason);
  }
  if (!quietOpt)
    llvm::errs() << llvm::formatv("ternc: wrote {0} ({1:f1} MB of weights{2}, {3})\n", outputOpt,
                                  result->weightsBytes / 1e6,
                                  std::string(options.int8Head ? ", the head's table in int8" : "") +
                                      (options.prefillCopies ? ", prefill's own copies" : ""),
                                  target->describe());
  return 0;
}

int runKernel(mlir::MLIRContext &ctx) {
  MatmulKernelSpec spec;
  spec.m = mOpt;
  spec.n = nOpt;
  spec.k = kOpt;
  spec.symbol = symbolOpt;
  KernelRequest request{mOpt, nOpt, kOpt, threadsOpt, std::nullopt, std::nullopt, std::nullopt};
  if (strategyOpt != "auto") {
    request.strategy = symbolizeStrategy(strategyOpt);
    if (!request.strategy)
      return fail("unknown strategy '" + strategyOpt + "'; expected mfree, lut, simt, mma, amx, rowlut or auto");
  }
  if (packingOpt != "auto") {
    request.packing = symbolizePacking(packingOpt);
    if (!request.packing)
      return fail("unknown packing '" + packingOpt + "'; expected i2, base3, lut2, lut3, idx3 or auto");
    if (!request.strategy)
      request.strategy = strategyForPacking(*request.packing);
  }
  if (!kernelOpt.empty()) {
    ctx.loadDialect<TernDialect>();
    std::string diagnostics;
    mlir::ScopedDiagnosticHandler handler(&ctx, [&](mlir::Diagnostic &d) {
      diagnostics += d.str();
      return mlir::success();
    });
    auto attr = llvm::dyn_cast_or_null<KernelAttr>(mlir::parseAttribute(kernelOpt, &ctx));
    if (!attr)
      return fail("invalid --kernel '" + kernelOpt + "'" +
                  (diagnostics.empty() ? "" : ": " + diagnostics));
    spec.kernel = attr;
    // The kernel names its strategy; --strategy, if given, must agree.
    if (!request.strategy && !request.packing)
      request.strategy = attr.getStrategy();
  }
  // Checked before any kernel is chosen, with the packing asked for.
  spec.strategy = request.strategy.value_or(Strategy::mfree);
  spec.packing = request.packing.value_or(defaultPacking(spec.strategy));
  if (llvm::Error e = validateMatmulSpec(spec))
    return fail(std::move(e));
  if (!gpuArchOpt.empty() && targetOpt != "nvptx")
    return fail("--gpu-arch applies to --target nvptx");
  auto target = resolveTarget(targetOpt, gpuArchOpt.empty() ? cpuOpt : gpuArchOpt, featuresOpt);
  if (!target)
    return fail(target.takeError());
  if (!targetDescOpt.empty()) {
    auto machine = loadMachineDescription(findMachineDescription(targetDescOpt));
    if (!machine)
      return fail(machine.takeError());
    if (machine->isa != target->arch)
      return fail("target description '" + machine->name + "' is for " + machine->isa +
                  " but the code generation target is " + target->arch + " (pass --target " +
                  machine->isa + ")");
    target->ternaryDot = machine->ternary.has_value();
  }
  std::string reason = "given with --kernel";
  if (!spec.kernel) {
    std::unique_ptr<TuningDb> db;
    // Measured kernels do not describe hardware that only a description has.
    if (std::string path = tuningDbPath(); !path.empty() && !target->ternaryDot) {
      if (!llvm::sys::fs::exists(path))
        return fail("tuning database " + path + " does not exist");
      auto opened = TuningDb::open(path);
      if (!opened)
        return fail(opened.takeError());
      db = std::move(*opened);
    }
    ctx.loadDialect<TernDialect>();
    KernelChoice choice = chooseKernel(&ctx, *target, request, db.get());
    spec.strategy = choice.candidate.strategy;
    spec.packing = choice.candidate.packing;
    spec.kernel = choice.candidate.kernel;
    reason = choice.reason;
    if (llvm::Error e = validateMatmulSpec(spec))
      return fail(std::move(e));
  }
  std::string packingName = stringifyPacking(spec.packing).str();
  if (kernelReportOpt) {
    llvm::outs() << "Kernel for " << nOpt << "x" << kOpt << " m=" << mOpt << " on "
                 << target->describe() << ": " << stringifyStrategy(spec.strategy) << "/"
                 << packingName << " ";
    mlir::Attribute(spec.kernel).print(llvm::outs());
    llvm::outs() << "\n  " << reason << "\n";
  }

  if (emitOpt == Emit::Artifact) {
    if (outputOpt.empty() || outputOpt == "-")
      return fail("--emit=artifact needs an output directory: -o DIR");
    ProgressPrinter printer;
    auto progress = [&](llvm::StringRef stage) { printer(stage); };
    if (llvm::Error e = writeMatmulKernelArtifact(&ctx, spec, *target, outputOpt, keepIrOpt,
                                                  progress))
      return fail(std::move(e));
    if (!quietOpt) {
      llvm::errs() << "ternc: wrote " << outputOpt << " (" << nOpt << "x" << kOpt << " "
                   << packingName << ", ";
      mlir::Attribute(resolveKernelAttr(&ctx, spec, *target)).print(llvm::errs());
      llvm::errs() << ", " << target->describe() << ")\n";
    }
    return 0;
  }

  auto module = buildMatmulKernelModule(&ctx, spec, *target);
  if (!module)
    return fail(module.takeError());
  if (emitOpt == Emit::Tern)
    return writeOutput(outputOpt, [&](llvm::raw_ostream &os) { (*module)->print(os); })
               ? fail("cannot write output")
               : 0;
  if (llvm::Error e = lowerToLLVMDialect(**module))
    return fail(std::move(e));
  if (emitOpt == Emit::LLVMDialect)
    return writeOutput(outputOpt, [&](llvm::raw_ostream &os) { (*module)->print(os); })
               ? fail("cannot write output")
               : 0;
  llvm::LLVMContext llvmContext;
  auto llvmModule = translateAndOptimize(**module, llvmContext, *target);
  if (!llvmModule)
    return fail(llvmModule.takeError());
  if (emitOpt == Emit::LLVMIR)
    return writeOutput(outputOpt, [&](llvm::raw_ostream &os) { (*llvmModule)->print(os, nullptr); })
               ? fail("cannot write output")
               : 0;
  auto native = emitNative(**llvmModule, *target,
                           emitOpt == Emit::Object ? NativeFileKind::Object : NativeFileKind::Assembly);
  if (!native)
    return fail(native.takeError());
  return writeOutput(outputOpt, [&](llvm::raw_ostream &os) { os << *native; })
             ? fail("cannot write output")
             : 0;
}

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  cl::HideUnrelatedOptions(
      {&shapeCategory, &kernelCategory, &modelCategory, &targetCategory, &outputCategory});
  cl::ParseCommandLineOptions(
      argc, argv,
      "ternc: the Tern compiler\n\n"
      "  ternc compile --model CHECKPOINT [--target host] -o NAME.tern\n"
      "      compiles a BitNet b1.58 model (Hugging Face directory or GGUF) for tern-run\n"
      "  ternc kernel --n N --k K [--m M] [--strategy mfree|lut|rowlut] [--packing i2|base3|lut2|lut3|idx3]\n"
      "               [--target host] -o DIR\n"
      "      compiles one ternary matmul into DIR/kernel.so + DIR/manifest.json\n\n"
      "Run `ternc kernel --help` for every flag of a subcommand.\n");
  mlir::DialectRegistry registry;
  registerTernDialects(registry);
  mlir::MLIRContext ctx(registry);
  if (kernelCommand)
    return runKernel(ctx);
  if (compileCommand)
    return runCompile(ctx);
  return fail("no subcommand given; run `ternc --help`");
}
