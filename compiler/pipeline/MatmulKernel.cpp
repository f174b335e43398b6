//===- MatmulKernel.cpp ---------------------------------------------------===//
#include "compiler/pipeline/MatmulKernel.h"
#include "compiler/lowering/KernelLayouts.h"
#include "compiler/lowering/GpuLaunch.h"
#include "compiler/lowering/RuntimeContext.h"
#include "compiler/pipeline/ArtifactWriter.h"
#include "compiler/pipeline/Diagnostics.h"
#include "compiler/pipeline/Emitter.h"
#include "compiler/pipeline/Pipeline.h"
#include "compiler/tuning/KernelChoice.h"
#include "runtime/include/tern/runtime.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;

namespace tern {

llvm::Error validateMatmulSpec(const MatmulKernelSpec &spec) {
  if (spec.m < 1 || spec.n < 1 || spec.k < 1)
    return llvm::createStringError(llvm::formatv(
        "matmul sizes must be positive, got m={0} n={1} k={2}", spec.m, spec.n, spec.k));
  int64_t group = packingGroupSize(spec.packing);
  if (spec.k % group != 0)
    return llvm::createStringError(llvm::formatv(
        "K ({0}) must be a multiple of {1}, the number of weights packing '{2}' groups together",
        spec.k, group, stringifyPacking(spec.packing)));
  if (!strategySupportsPacking(spec.strategy, spec.packing))
    return llvm::createStringError(llvm::formatv("strategy '{0}' cannot read packing '{1}'",
                                                 stringifyStrategy(spec.strategy),
                                                 stringifyPacking(spec.packing)));
  if (spec.kernel && spec.kernel.getStrategy() != spec.strategy)
    return llvm::createStringError("the kernel parameters are for another strategy");
  return llvm::Error::success();
}

KernelAttr resolveKernelAttr(MLIRContext *ctx, const MatmulKernelSpec &spec,
                             const TargetDesc &target) {
  if (spec.kernel)
    return spec.kernel;
  return defaultKernel(ctx, target, spec.strategy, spec.m);
}

llvm::Expected<OwningOpRef<ModuleOp>>
buildMatmulKernelModule(MLIRContext *ctx, const MatmulKernelSpec &spec, const TargetDesc &target) {
  if (llvm::Error e = validateMatmulSpec(spec))
    return std::move(e);
  KernelAttr kernel = resolveKernelAttr(ctx, spec, target);
  if (lookupTargetBackend(target.arch)->gpuMapping() && !isGpuStrategy(kernel.getStrategy()))
    return llvm::createStringError("the " + stringifyStrategy(kernel.getStrategy()).str() +
                                   " strategy runs on CPUs; " + target.arch +
                                   " runs the simt and mma strategies (--strategy simt|mma)");
  ctx->loadDialect<TernDialect, arith::ArithDialect, func::FuncDialect, LLVM::LLVMDialect>();
  DiagnosticCollector diagnostics(ctx);
  OpBuilder b(ctx);
  Location loc = b.getUnknownLoc();
  OwningOpRef<ModuleOp> module = ModuleOp::create(loc);
  setModuleTarget(*module, target);
  b.setInsertionPointToEnd(module->getBody());

  Type ptr = LLVM::LLVMPointerType::get(ctx);
  auto type = b.getFunctionType({ptr, ptr, ptr, ptr, b.getF32Type(), ptr, b.getI64Type()}, {});
  auto func = func::FuncOp::create(b, loc, spec.symbol, type);
  func.setArgAttr(0, kRuntimeContextAttr, b.getUnitAttr());
  // On a GPU the entry point is the kernel.
  if (lookupTargetBackend(target.arch)->gpuMapping())
    func->setAttr(kGpuKernelAttr,
                  b.getI64IntegerAttr(gpuLaunch(kernel, spec.n).threadsPerBlock));
  Block *entry = func.addEntryBlock();
  b.setInsertionPointToStart(entry);
  Value m = arith::IndexCastOp::create(b, loc, b.getIndexType(), entry->getArgument(6));
  int64_t dyn = ShapedType::kDynamic;
  auto view = [&](unsigned arg, Type t, ValueRange sizes) -> Value {
    return BufferFromPtrOp::create(b, loc, t, entry->getArgument(arg), sizes);
  };
  Value a = view(1, MemRefType::get({dyn, spec.k}, b.getI8Type()), m);
  Value aScale = view(2, MemRefType::get({dyn}, b.getF32Type()), m);
  auto weightType = TernaryType::get(ctx, {spec.n, spec.k}, PackingAttr::get(ctx, spec.packing));
  Value w = view(3, weightType, {});
  Value y = view(5, MemRefType::get({dyn, spec.n}, b.getF32Type()), m);
  MatmulOp::create(b, loc, a, aScale, w, entry->getArgument(4), y, kernel);
  func::ReturnOp::create(b, loc);
  if (failed(verify(*module)))
    return diagnostics.error("the kernel module is invalid");
  return module;
}

llvm::Error lowerToLLVMDialect(ModuleOp module) {
  PassManager pm(module.getContext());
  buildLowerToLLVMPipeline(pm);
  if (llvm::Error e = runPipeline(pm, module, "lowering to the LLVM dialect failed"))
    return e;
  return llvm::Error::success();
}

llvm::Error writeMatmulKernelArtifact(MLIRContext *ctx, const MatmulKernelSpec &spec,
                                      const TargetDesc &target, const std::string &dir,
                                      bool keepIntermediates,
                                      const std::function<void(llvm::StringRef)> &progress) {
  auto stage = [&](llvm::StringRef name) {
    if (progress)
      progress(name);
  };
  stage("building tern IR");
  auto module = buildMatmulKernelModule(ctx, spec, target);
  if (!module)
    return module.takeError();
  if (std::error_code ec = llvm::sys::fs::create_directories(dir))
    return llvm::createStringError("cannot create directory " + dir + ": " + ec.message());
  KernelAttr kernel = resolveKernelAttr(ctx, spec, target);
  std::string text;
  if (keepIntermediates) {
    llvm::raw_string_ostream os(text);
    (*module)->print(os);
    if (llvm::Error e = writeFile(joinPath(dir, "kernel.tern.mlir"), text))
      return e;
  }
  stage("lowering to LLVM");
  if (llvm::Error e = lowerToLLVMDialect(**module))
    return e;
  // GPU kernels are PTX, which the CUDA driver compiles for the device at
  // load time; CPU kernels a shared library.
  const GpuMapping *gpu = lookupTargetBackend(target.arch)->gpuMapping();
  std::string library = gpu ? "kernel.ptx" : "kernel.so";
  llvm::Expected<std::string> checksum = std::string();
  if (gpu) {
    stage("generating PTX");
    checksum = emitPtxFile(**module, target, dir, "kernel");
  } else {
    checksum = emitSharedLibrary(**module, target, dir, "kernel", keepIntermediates, stage);
  }
  if (!checksum)
    return checksum.takeError();

  stage("writing manifest");
  text.clear();
  llvm::raw_string_ostream os(text);
  llvm::json::OStream json(os, 2);
  json.object([&] {
    json.attribute("format", "tern-kernel");
    json.attribute("format_version", TERN_ARTIFACT_FORMAT_VERSION);
    json.attribute("tern_version", tern_version());
    json.attribute("entry", spec.symbol);
    json.attribute("library", library);
    json.attribute("library_checksum", *checksum);
    json.attributeObject("matmul", [&] {
      json.attribute("n", spec.n);
      json.attribute("k", spec.k);
      json.attribute("m_hint", spec.m);
      json.attribute("packing", stringifyPacking(spec.packing));
      json.attribute("strategy", stringifyStrategy(kernel.getStrategy()));
      packing::LayoutParams layout = weightLayout(kernel, spec.packing, spec.n, spec.k);
      json.attribute("layout", packing::formatName(layout.format));
      json.attribute("packed_bytes", packing::packedBytes(layout));
      json.attribute("slabs", packing::storedSlabs(layout));
      json.attributeObject("kernel", [&] {
        json.attribute("lanes", kernel.getLanes());
        json.attribute("tile_n", kernel.getTileN());
        json.attribute("tile_m", kernel.getTileM());
        json.attribute("unroll_k", kernel.getUnrollK());
        json.attribute("prefetch", kernel.getPrefetch());
        json.attribute("streams", kernel.getStreams());
      });
      if (gpu)
        json.attributeObject("launch", [&] {
          GpuLaunch launch = gpuLaunch(kernel, spec.n);
          json.attribute("threads_per_block", launch.threadsPerBlock);
          json.attribute("blocks_x", launch.blocksX);
          json.attribute("rows_per_block_y", launch.rowsPerBlockY);
        });
    });
    writeTargetJson(json, target);
  });
  os << "\n";
  return writeFile(joinPath(dir, "manifest.json"), text);
}

} // namespace tern
