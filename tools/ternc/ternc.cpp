//===- ternc.cpp - the Tern compiler driver -------------------------------===//
#include "compiler/pipeline/Emitter.h"
#include "compiler/pipeline/MatmulKernel.h"
#include "compiler/pipeline/Registration.h"

#include "mlir/AsmParser/AsmParser.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "llvm/Support/CommandLine.h"
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

cl::OptionCategory shapeCategory("Shape");
cl::opt<int64_t> mOpt("m", cl::desc("Activation rows (tokens) the kernel is tuned for: 1 for "
                                    "decode, more for prefill. The kernel accepts any m >= 1"),
                      cl::init(1), cl::sub(kernelCommand), cl::cat(shapeCategory));
cl::opt<int64_t> nOpt("n", cl::desc("Output features (rows of the weight matrix)"),
                      cl::Required, cl::sub(kernelCommand), cl::cat(shapeCategory));
cl::opt<int64_t> kOpt("k", cl::desc("Input features (columns of the weight matrix); a multiple "
                                    "of the packing group (4 for i2)"),
                      cl::Required, cl::sub(kernelCommand), cl::cat(shapeCategory));

cl::OptionCategory kernelCategory("Kernel");
cl::opt<std::string> packingOpt("packing", cl::desc("Weight packing: i2 (2 bits per weight)"),
                                cl::init("i2"), cl::sub(kernelCommand), cl::cat(kernelCategory));
cl::opt<std::string> strategyOpt("strategy",
                                 cl::desc("Kernel strategy: mfree (multiply-free, int8 dot "
                                          "products of activations with {0,1,2}-coded weights)"),
                                 cl::init("mfree"), cl::sub(kernelCommand),
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
                                        "x86_64 (default CPU x86-64-v3) or aarch64 (default "
                                        "CPU cortex-a76)"),
                               cl::init("host"), cl::sub(kernelCommand), cl::cat(targetCategory));
cl::opt<std::string> cpuOpt("cpu", cl::desc("LLVM CPU name for x86_64/aarch64, e.g. znver4"),
                            cl::sub(kernelCommand), cl::cat(targetCategory));
cl::opt<std::string> featuresOpt("features",
                                 cl::desc("Comma-separated feature edits, e.g. -avx512f,+avxvnni"),
                                 cl::sub(kernelCommand), cl::cat(targetCategory));

cl::OptionCategory outputCategory("Output");
cl::opt<std::string> outputOpt("o", cl::desc("Output directory (for --emit=artifact) or file "
                                             "('-' for stdout)"),
                               cl::value_desc("path"), cl::sub(kernelCommand),
                               cl::cat(outputCategory));
enum class Emit { Artifact, Tern, LLVMDialect, LLVMIR, Assembly };
cl::opt<Emit> emitOpt(
    "emit", cl::desc("What to write"), cl::init(Emit::Artifact),
    cl::values(clEnumValN(Emit::Artifact, "artifact",
                          "DIR/manifest.json + DIR/kernel.so for the runtime (default)"),
               clEnumValN(Emit::Tern, "tern", "the kernel-level tern IR"),
               clEnumValN(Emit::LLVMDialect, "llvm-dialect", "the IR after tern-lower-to-llvm"),
               clEnumValN(Emit::LLVMIR, "llvm", "optimized LLVM IR"),
               clEnumValN(Emit::Assembly, "asm", "target assembly")),
    cl::sub(kernelCommand), cl::cat(outputCategory));
cl::opt<bool> keepIrOpt("keep-ir",
                        cl::desc("With --emit=artifact, also write kernel.tern.mlir, kernel.ll "
                                 "and kernel.s"),
                        cl::sub(kernelCommand), cl::cat(outputCategory));
cl::opt<bool> quietOpt("quiet", cl::desc("No progress messages"), cl::sub(kernelCommand),
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

int runKernel(mlir::MLIRContext &ctx) {
  MatmulKernelSpec spec;
  spec.m = mOpt;
  spec.n = nOpt;
  spec.k = kOpt;
  spec.symbol = symbolOpt;
  std::optional<Packing> packing = symbolizePacking(packingOpt);
  if (!packing)
    return fail("unknown packing '" + packingOpt + "'; expected i2");
  spec.packing = *packing;
  std::optional<Strategy> strategy = symbolizeStrategy(strategyOpt);
  if (!strategy)
    return fail("unknown strategy '" + strategyOpt + "'; expected mfree");
  spec.strategy = *strategy;
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
  }
  if (llvm::Error e = validateMatmulSpec(spec))
    return fail(std::move(e));
  auto target = resolveTarget(targetOpt, cpuOpt, featuresOpt);
  if (!target)
    return fail(target.takeError());

  if (emitOpt == Emit::Artifact) {
    if (outputOpt.empty() || outputOpt == "-")
      return fail("--emit=artifact needs an output directory: -o DIR");
    auto start = std::chrono::steady_clock::now();
    auto progress = [&](llvm::StringRef stage) {
      if (quietOpt)
        return;
      double seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      llvm::errs() << llvm::formatv("ternc: [{0,6:f2}s] {1}\n", seconds, stage);
    };
    if (llvm::Error e = writeMatmulKernelArtifact(&ctx, spec, *target, outputOpt, keepIrOpt,
                                                  progress))
      return fail(std::move(e));
    if (!quietOpt) {
      llvm::errs() << "ternc: wrote " << outputOpt << " (" << nOpt << "x" << kOpt << " "
                   << packingOpt << ", ";
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
  auto assembly = emitNative(**llvmModule, *target, NativeFileKind::Assembly);
  if (!assembly)
    return fail(assembly.takeError());
  return writeOutput(outputOpt, [&](llvm::raw_ostream &os) { os << *assembly; })
             ? fail("cannot write output")
             : 0;
}

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  cl::HideUnrelatedOptions({&shapeCategory, &kernelCategory, &targetCategory, &outputCategory});
  cl::ParseCommandLineOptions(
      argc, argv,
      "ternc: the Tern compiler\n\n"
      "  ternc kernel --n N --k K [--m M] [--packing i2] [--strategy mfree] [--target host] -o DIR\n"
      "      compiles one ternary matmul into DIR/kernel.so + DIR/manifest.json\n\n"
      "Run `ternc kernel --help` for every flag of a subcommand.\n");
  mlir::DialectRegistry registry;
  registerTernDialects(registry);
  mlir::MLIRContext ctx(registry);
  if (kernelCommand)
    return runKernel(ctx);
  return fail("no subcommand given; run `ternc --help`");
}
