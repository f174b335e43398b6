//===- Tuner.h - search a shape's kernel space on this machine --*- C++ -*-===//
//
// Every candidate goes through the real pipeline (writeMatmulKernelArtifact),
// is checked bit-exact against tests/reference before it is timed (a wrong
// one is recorded as invalid), then timed in process with weights streaming
// from DRAM for m = 1. Each result is committed to the database at once.
// Where the machine has a core to spare beyond the measuring threads, the
// next candidates compile while the current one is timed. At the end the
// fastest few and the default are timed again side by side, so that the
// winner is not an artifact of a noisy moment.
//
//===----------------------------------------------------------------------===//
#ifndef TERN_TOOLS_TERNTUNE_TUNER_H
#define TERN_TOOLS_TERNTUNE_TUNER_H

#include "compiler/tuning/KernelChoice.h"
#include "tools/common/KernelMeasure.h"

#include <functional>

namespace tern {

enum class SearchKind { Auto, Exhaustive, Random, Evolution };

struct TuneOptions {
  int64_t n = 0, k = 0, m = 1, threads = 1;
  SearchKind search = SearchKind::Auto; // auto: exhaustive when the space fits the budget
  int64_t budget = 40;                  // candidates measured (resumed ones count)
  double timeLimit = 0;                 // seconds; 0: none
  uint64_t seed = 1;
  bool resume = false; // skip candidates the database already has
  std::optional<Strategy> strategy;
  std::optional<Packing> packing;
  std::optional<int64_t> tileN;
  KernelAttr kernel; // set: measure this kernel only (on `packing`)
  int64_t sliceIndex = 0, sliceCount = 1; // this task's share of an exhaustive list
  int samples = 7;                        // timed samples per candidate
  int finalists = 4;                      // re-timed side by side at the end
  std::string run;                        // run id recorded with each measurement
};

struct TuneProgress {
  int64_t done = 0, total = 0;
  double elapsed = 0;
  const Measurement *best = nullptr;
};

struct TuneResult {
  int64_t measured = 0, resumed = 0, invalid = 0, failed = 0;
  std::optional<Measurement> best, defaultKernel;
};

class Tuner {
public:
  Tuner(mlir::MLIRContext *ctx, const TargetDesc &target, TuningDb &db, int64_t threads);
  ~Tuner();

  /// The candidates of the request's spaces that fit K and the constraints,
  /// the default first (or the one kernel asked for).
  std::vector<Candidate> candidates(const TuneOptions &options) const;
  /// The documented default for the request.
  Candidate defaultCandidate(const TuneOptions &options) const;

  llvm::Expected<TuneResult> tune(const TuneOptions &options,
                                  const std::function<void(const TuneProgress &)> &progress = {});

  double bandwidth() const { return bandwidth_; }

private:
  struct Compiled;
  Compiled compile(const Candidate &c, const TuneOptions &options, int64_t seq);
  Measurement measure(const Candidate &c, const Compiled &compiled, const TuneOptions &options,
                      const measure::ReferenceCase &reference);

  mlir::MLIRContext *ctx_;
  TargetDesc target_;
  TuningDb &db_;
  tern_runtime *runtime_;
  std::unique_ptr<measure::WeightStream> stream_;
  double bandwidth_ = 0;
  std::string scratch_;
};

} // namespace tern

#endif // TERN_TOOLS_TERNTUNE_TUNER_H
