//===- CostModel.cpp ------------------------------------------------------===//
#include "tools/tern-tune/CostModel.h"
#include "compiler/lowering/GpuLaunch.h"
#include "compiler/lowering/mma/MmaMatmul.h"
#include "compiler/lowering/simt/SimtMatmul.h"

#include "compiler/lowering/KernelLayouts.h"
#include "compiler/pipeline/Emitter.h"
#include "compiler/pipeline/MatmulKernel.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/Regex.h"

#include <cmath>
#include <numeric>

namespace tern {

std::string hottestInnerLoop(llvm::StringRef assembly) {
  llvm::SmallVector<llvm::StringRef> lines;
  assembly.split(lines, '\n');
  // Labels and where they are; instructions are indented non-directives.
  llvm::StringMap<size_t> labelLine;
  for (size_t i = 0; i < lines.size(); ++i) {
    llvm::StringRef l = lines[i].rtrim();
    if (!l.starts_with("\t") && !l.starts_with(" ") && l.ends_with(":"))
      labelLine[l.drop_back()] = i;
  }
  auto isInstruction = [](llvm::StringRef l) {
    llvm::StringRef t = l.trim();
    return (l.starts_with("\t") || l.starts_with(" ")) && !t.empty() && !t.starts_with(".") &&
           !t.starts_with("#") && !t.starts_with("//");
  };
  // Backward branches: [target label, branch] spans.
  std::vector<std::pair<size_t, size_t>> loops;
  for (size_t i = 0; i < lines.size(); ++i) {
    if (!isInstruction(lines[i]))
      continue;
    llvm::SmallVector<llvm::StringRef> words;
    llvm::SplitString(lines[i], words, " \t,");
    if (words.empty() || !(words[0].starts_with("j") || words[0].starts_with("b") ||
                           words[0].starts_with("cb") || words[0].starts_with("tb")))
      continue;
    llvm::StringRef target = words.back();
    auto it = labelLine.find(target);
    if (it != labelLine.end() && it->second < i)
      loops.push_back({it->second, i});
  }
  // Innermost: containing no other loop. Hottest: the most instructions.
  std::string best;
  size_t bestCount = 0;
  for (auto [begin, end] : loops) {
    bool inner = true;
    for (auto [b2, e2] : loops)
      if ((b2 != begin || e2 != end) && b2 >= begin && e2 <= end)
        inner = false;
    if (!inner)
      continue;
    std::string body;
    size_t count = 0;
    for (size_t i = begin + 1; i <= end; ++i)
      if (isInstruction(lines[i])) {
        body += lines[i].trim().str() + "\n";
        ++count;
      }
    if (count > bestCount) {
      bestCount = count;
      best = body;
    }
  }
  return best;
}

namespace {

llvm::Expected<double> mcaThroughput(const std::string &loop, const TargetDesc &target,
                                     const std::string &mcaCpu) {
  llvm::SmallString<128> input, output;
  if (std::error_code ec = llvm::sys::fs::createTemporaryFile("tern-mca", "s", input))
    return llvm::createStringError("cannot create a temporary file: " + ec.message());
  if (std::error_code ec = llvm::sys::fs::createTemporaryFile("tern-mca", "txt", output))
    return llvm::createStringError("cannot create a temporary file: " + ec.message());
  {
    std::error_code ec;
    llvm::raw_fd_ostream os(input, ec);
    os << loop;
  }
  std::string cpu = !mcaCpu.empty() ? mcaCpu : target.tuneCpu.empty() ? target.cpu : target.tuneCpu;
  std::string triple = "-mtriple=" + target.triple, mcpu = "-mcpu=" + cpu,
              mattr = "-mattr=" + target.featureString();
  llvm::SmallVector<llvm::StringRef> args = {TERN_LLVM_MCA_PATH, triple, mcpu, mattr,
                                             "-iterations=100", "-summary-view",
                                             "-instruction-info=false", input};
  std::optional<llvm::StringRef> redirects[] = {std::nullopt, llvm::StringRef(output),
                                                llvm::StringRef(output)};
  std::string error;
  int rc = llvm::sys::ExecuteAndWait(TERN_LLVM_MCA_PATH, args, std::nullopt, redirects, 60, 0,
                                     &error);
  auto text = llvm::MemoryBuffer::getFile(output);
  llvm::sys::fs::remove(input);
  llvm::sys::fs::remove(output);
  if (rc != 0 || !text)
    return llvm::createStringError("llvm-mca failed" + (error.empty() ? "" : ": " + error) +
                                   (text ? ": " + (*text)->getBuffer().take_front(400).str() : ""));
  llvm::Regex pattern("Block RThroughput: *([0-9.]+)");
  llvm::SmallVector<llvm::StringRef> match;
  if (!pattern.match((*text)->getBuffer(), &match))
    return llvm::createStringError("llvm-mca printed no block throughput");
  double cycles = 0;
  if (match[1].getAsDouble(cycles))
    return llvm::createStringError("unreadable llvm-mca throughput '" + match[1].str() + "'");
  return cycles;
}

} // namespace

llvm::Expected<Prediction> predict(mlir::MLIRContext *ctx, const TargetDesc &target,
                                   const Candidate &c, int64_t m, int64_t n, int64_t k,
                                   const CostModelParams &params) {
  MatmulKernelSpec spec;
  spec.m = m;
  spec.n = n;
  spec.k = k;
  spec.strategy = c.strategy;
  spec.packing = c.packing;
  spec.kernel = c.kernel;
  auto module = buildMatmulKernelModule(ctx, spec, target);
  if (!module)
    return module.takeError();
  if (llvm::Error e = lowerToLLVMDialect(**module))
    return std::move(e);
  llvm::LLVMContext llvmContext;
  auto llvmModule = translateAndOptimize(**module, llvmContext, target);
  if (!llvmModule)
    return llvmModule.takeError();
  auto assembly = emitNative(**llvmModule, target, NativeFileKind::Assembly);
  if (!assembly)
    return assembly.takeError();
  std::string loop = hottestInnerLoop(*assembly);
  if (loop.empty())
    return llvm::createStringError("no inner loop found in the kernel's assembly");
  auto cycles = mcaThroughput(loop, target, params.mcaCpu);
  if (!cycles)
    return cycles.takeError();

  Prediction p;
  p.cyclesPerIteration = *cycles;
  p.macsPerIteration = searchSpaceFor(c.strategy, target, m).innerLoopMacs(c, m);
  double iterations = static_cast<double>(m * n * k) / static_cast<double>(p.macsPerIteration);
  p.computeUs = iterations * p.cyclesPerIteration / (params.ghz * 1e3) /
                static_cast<double>(params.threads);
  if (m == 1) {
    double bytes = static_cast<double>(packing::packedBytes(weightLayout(c.kernel, c.packing, n, k)));
    p.memoryUs = bytes / (params.bandwidthGBs * 1e3);
  }
  return p;
}


CostModelParams costModelParams(const MachineDescription &machine, int64_t threads) {
  CostModelParams params;
  params.ghz = machine.frequencyGHz;
  params.threads = std::min(threads, machine.cores);
  params.bandwidthGBs = machine.dramBandwidthGBs(params.threads);
  return params;
}

llvm::Expected<Prediction> predictGpu(const MachineDescription &gpu, const Candidate &c, int64_t m,
                                      int64_t n, int64_t k) {
  if (!gpu.isGpu())
    return llvm::createStringError("'" + gpu.name + "' describes a CPU; GPU kernels need a GPU");
  if (!isGpuStrategy(c.strategy))
    return llvm::createStringError("GPU estimates cover the simt and mma strategies only");
  constexpr double kWarp = 32, kMaxWarpsPerSm = 64, kWordBytes = 4;
  KernelAttr kernel = c.kernel;
  bool mma = c.strategy == Strategy::mma;
  GpuLaunch launch = gpuLaunch(kernel, n);
  double warpsPerBlock = static_cast<double>(launch.threadsPerBlock) / kWarp;
  double rowTiles = std::ceil(static_cast<double>(m) / static_cast<double>(launch.rowsPerBlockY));
  double blocks = static_cast<double>(launch.blocksX) * rowTiles;
  double sms = std::min(static_cast<double>(gpu.cores), blocks);
  double residentWarps = sms * std::min(kMaxWarpsPerSm, std::ceil(blocks / sms) * warpsPerBlock);
  // Weight words in flight per thread and loop iteration: one (simt), or
  // two per weight tile and K step (mma).
  double wordsPerThread = static_cast<double>(kernel.getUnrollK()) *
                          (mma ? 2.0 * static_cast<double>(kernel.getStreams()) : 1.0);
  double inFlight = residentWarps * kWarp * kWordBytes * wordsPerThread;
  double bandwidth = std::min(gpu.dramBandwidthGBs(gpu.cores),
                              inFlight / (gpu.dram.latencyNs * 1e-9) / 1e9 * gpu.dram.streamEfficiency);
  double bytes = static_cast<double>(packing::packedBytes(weightLayout(c.kernel, c.packing, n, k)));
  // Rows of weights are read again for every tile of activation rows.
  double memoryUs = bytes * rowTiles / (bandwidth * 1e3);
  double weights = static_cast<double>(n) * static_cast<double>(k);
  double lanesPerCycle = gpu.intOpsPerCycle / 4 * sms; // int32 lanes
  double computeUs;
  if (mma) {
    // Tensor-core MACs over whole 16-row tiles, plus per 4 weights and tile
    // 5 integer ops turning a plane into signed bytes (one thread each).
    double macs = rowTiles * static_cast<double>(launch.rowsPerBlockY) * weights;
    double tensorCycles = macs / (gpu.int8Dot.macsPerCycle * sms);
    double unpackCycles = weights / 4 * 5 * rowTiles / lanesPerCycle;
    computeUs = (tensorCycles + unpackCycles) / (gpu.frequencyGHz * 1e3);
  } else {
    // Per 16 weights and activation row: 4 dp4a and 4 for the activation
    // sums; per 16 weights and tile: 4 shifts and 4 masks.
    double instructions = weights / 16 * (8 * static_cast<double>(m) + 8 * rowTiles);
    computeUs = instructions / lanesPerCycle / (gpu.frequencyGHz * 1e3);
  }
  // Prediction::us() is max(compute, memory): the longer side also takes
  // what overlap does not hide of the shorter, and the launch.
  double extra = (1 - gpu.overlap) * std::min(memoryUs, computeUs) + gpu.launchOverheadUs;
  Prediction p;
  p.macsPerIteration = (mma ? mmaSearchSpace() : simtSearchSpace(m)).innerLoopMacs(c, m);
  p.computeUs = computeUs + (computeUs >= memoryUs ? extra : 0);
  p.memoryUs = memoryUs + (computeUs >= memoryUs ? 0 : extra);
  return p;
}

} // namespace tern
