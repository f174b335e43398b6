//===- Roofline.cpp -------------------------------------------------------===//
#include "tools/tern-explore/Roofline.h"

#include <algorithm>
#include <cmath>

namespace tern::explore {
namespace {

/// Rows of activations one register tile covers in prefill kernels (the
/// documented mfree/lut defaults): weights are decoded once per tile.
constexpr int64_t kPrefillTileRows = 4;

double ceilDiv(double a, double b) { return std::ceil(a / b); }

/// Threads that do useful work when `tasks` equal tasks are spread over
/// `threads`: the slowest thread runs ceil(tasks / threads) of them.
double effectiveThreads(int64_t tasks, int64_t threads) {
  tasks = std::max<int64_t>(tasks, 1);
  return static_cast<double>(tasks) / ceilDiv(static_cast<double>(tasks), static_cast<double>(threads));
}

double pow3(int64_t g) { return std::pow(3.0, static_cast<double>(g)); }

} // namespace

int64_t lutGroup(int64_t entries) {
  int64_t g = 2; // 9 sums; from g = 3 on, sign-folded
  while ((pow3(g + 1) + 1) / 2 <= static_cast<double>(entries))
    ++g;
  return g;
}

std::vector<MatmulKernel> matmulKernels(const MachineDescription &machine, int64_t n, int64_t k,
                                        int64_t m) {
  double weights = static_cast<double>(n) * static_cast<double>(k);
  double rows = static_cast<double>(m);
  // Weights are decoded once per register tile of rows.
  double tiles = m == 1 ? 1 : ceilDiv(rows, kPrefillTileRows);
  std::vector<MatmulKernel> kernels;
  if (machine.isGpu()) {
    // simt on i2, the GPU strategy: per 16 weights and activation row four
    // dp4a with the weights and four with ones (the activation sums), per
    // 16 weights and tile of rows a shift and a mask per plane: half an
    // int32 operation per weight each, at 4 byte lanes of the description's
    // integer rate. (Tensor-core MMA, the description's int8_dot, is not used
    // by Tern's GPU kernels yet.)
    kernels.push_back({"simt/i2", 2.0, 0, 4 * (rows * weights / 2 + weights / 2 * tiles), 0, 0});
    return kernels;
  }
  // mfree on i2: per plane a shift and a mask, then an int8 dot product
  // step with the activations.
  kernels.push_back({"mfree/i2", 2.0, rows * weights, 2 * weights * tiles, 0, 0});
  // mfree on base3 (5 weights a byte), decoded linearly: two dot-product
  // steps per plane on the raw bytes, and two byte adds to triple them.
  kernels.push_back({"mfree/base3", 8.0 / 5, 2 * rows * weights, 2 * weights * tiles, 0, 0});
  // lut: per row and group of g activations a table of its sums in int16,
  // built with one add per entry: all 9 for g = 2, else the (3^g + 1) / 2
  // that a sign bit unfolds. Per group, row and vector of output rows: two
  // byte lookups (low and high halves) and two interleaves on the shuffle
  // unit; the nibble extracted, two int16 adds, and for g > 2 the sign
  // applied (two more).
  for (int64_t g : {int64_t(2), lutGroup(machine.lookup.tableEntries)}) {
    if (machine.lookup.tableEntries < 9 || (g == 2 && kernels.back().name == "lut/g2"))
      continue;
    double entries = g == 2 ? 9 : (pow3(g) + 1) / 2;
    double indexBits = std::ceil(std::log2(entries)) + (g > 2); // and a sign bit
    double groups = weights / static_cast<double>(g);
    MatmulKernel lut{"lut/g" + std::to_string(g), indexBits / static_cast<double>(g), 0, 0, 0, 0};
    lut.intOps = rows * static_cast<double>(k) / static_cast<double>(g) * entries * 2 + // tables
                 rows * groups * (g > 2 ? 4 : 2) + groups * tiles;
    lut.lookupBytes = 4 * rows * groups;
    kernels.push_back(lut);
  }
  if (machine.ternary) {
    // tern.tdot reads the packed bytes as they are.
    kernels.push_back({"tdot/i2", 2.0, 0, 0, 0, rows * weights});
    kernels.push_back({"tdot/base3", 8.0 / 5, 0, 0, 0, rows * weights});
  }
  return kernels;
}

std::string packingOf(const std::string &kernel) {
  return kernel.substr(kernel.find('/') + 1);
}

Prediction predictOp(const MachineDescription &machine, const OpWork &work, int64_t threads,
                     Residency residency, const MatmulKernel *kernel, const std::string &packing) {
  if (work.op == "bitlinear" && !kernel) {
    Prediction best;
    best.seconds = INFINITY;
    for (const MatmulKernel &candidate : matmulKernels(machine, work.n, work.k, work.rows)) {
      if (!packing.empty() && packingOf(candidate.name) != packing)
        continue;
      Prediction p = predictOp(machine, work, threads, residency, &candidate);
      if (p.seconds < best.seconds)
        best = p;
    }
    return best;
  }
  threads = std::max<int64_t>(1, std::min(threads, machine.cores));
  double streamBytes = work.streamBytes;
  int64_t tasks = work.tasks;
  double int8Macs = 0, intOps = 0, lookupBytes = 0, ternaryWeights = 0;
  Prediction p;
  if (kernel) {
    p.kernel = kernel->name;
    streamBytes += static_cast<double>(work.n) * static_cast<double>(work.k) * kernel->bitsPerWeight / 8;
    int8Macs = kernel->int8Macs;
    intOps = kernel->intOps;
    lookupBytes = kernel->lookupBytes;
    ternaryWeights = kernel->ternaryWeights;
    // Blocks of 4 vectors of output rows, as in the CPU decode defaults; on
    // GPUs blocks of 64 rows, the simt default.
    int64_t blockRows = machine.isGpu() ? 64 : 4 * std::max<int64_t>(1, machine.vector.widthBits / 32);
    tasks = std::max<int64_t>(1, work.n / blockRows);
  }
  double used = effectiveThreads(tasks, threads);
  double hz = machine.frequencyGHz * 1e9;
  struct Unit {
    const char *name;
    double cycles;
  };
  // Dot products and lookups take one byte lane per MAC or byte of the
  // vector pipes that simple integer operations issue to.
  Unit units[] = {
      {"int8_dot", int8Macs / machine.int8Dot.macsPerCycle},
      {"int_ops", intOps / machine.intOpsPerCycle},
      {"lookup", lookupBytes / machine.lookup.bytesPerCycle},
      {"fp32", work.fp32Flops / machine.fp32FlopsPerCycle},
      {"ternary", machine.ternary ? ternaryWeights / machine.ternary->weightsPerCycle : 0},
      {"vector_issue", (int8Macs + lookupBytes + intOps) / machine.intOpsPerCycle},
  };
  // Each unit has its own pipes: the busiest one sets the pace.
  const Unit *busiest = &units[0];
  for (const Unit &u : units)
    if (u.cycles > busiest->cycles)
      busiest = &u;
  double cycles = busiest->cycles;
  p.computeSeconds = cycles / hz / used;

  const MachineDescription::Cache &l1 = machine.caches.front();
  double streamRate = residency.cache
                          ? residency.cache->bandwidthGBs * 1e9 * used
                          : machine.dramBandwidthGBs(static_cast<int64_t>(std::ceil(used))) * 1e9;
  p.memorySeconds = streamBytes / streamRate + work.activationBytes / (l1.bandwidthGBs * 1e9 * used);
  bool parallel = machine.isGpu() || (tasks > 1 && threads > 1);
  p.launchSeconds = parallel ? machine.launchOverheadUs * 1e-6 : 0;
  double longer = std::max(p.memorySeconds, p.computeSeconds);
  double shorter = std::min(p.memorySeconds, p.computeSeconds);
  p.seconds = longer + (1 - machine.overlap) * shorter + p.launchSeconds;
  if (p.launchSeconds > longer)
    p.bound = "launch";
  else if (p.memorySeconds >= p.computeSeconds)
    p.bound = residency.cache ? "L" + std::to_string(residency.cache->level) : "dram";
  else
    p.bound = busiest->name;

  p.dramBytes = residency.cache ? 0 : streamBytes;
  p.cacheBytes = work.activationBytes + streamBytes;
  const MachineDescription::Energy &e = machine.energyPj;
  double picojoules = int8Macs * e.int8Mac + intOps * e.intOp + lookupBytes * e.lookupByte +
                      work.fp32Flops * e.fp32Flop + p.dramBytes * e.dramByte +
                      p.cacheBytes * e.cacheByte;
  if (machine.ternary)
    picojoules += ternaryWeights * machine.ternary->energyPjPerWeight;
  p.joules = picojoules * 1e-12;
  return p;
}

StepPrediction predictStep(const MachineDescription &machine, const std::vector<OpWork> &work,
                           int64_t threads, const StepPrediction *layouts) {
  // What the step streams: its kernels' weights at their densest packing
  // (the choice per op may differ, the residency does not hinge on it) and
  // the tables and caches it reads.
  double streamed = 0;
  for (const OpWork &w : work)
    streamed += static_cast<double>(w.calls) *
                (w.streamBytes + static_cast<double>(w.n) * static_cast<double>(w.k) * 1.6 / 8 *
                                     (w.op == "bitlinear"));
  StepPrediction step;
  Residency residency{machine.cacheHolding(streamed, threads)};
  step.residency = residency.cache ? "L" + std::to_string(residency.cache->level) : "DRAM";
  for (const OpWork &w : work) {
    std::string packing;
    if (layouts && w.op == "bitlinear")
      for (const auto &[other, chosen] : layouts->ops)
        if (other.op == w.op && other.n == w.n && other.k == w.k)
          packing = packingOf(chosen.kernel);
    Prediction p = predictOp(machine, w, threads, residency, nullptr, packing);
    double calls = static_cast<double>(w.calls);
    step.seconds += calls * p.seconds;
    step.joules += calls * p.joules;
    step.dramBytes += calls * p.dramBytes;
    step.ops.emplace_back(w, p);
  }
  return step;
}

} // namespace tern::explore
