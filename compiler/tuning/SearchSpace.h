//===- SearchSpace.h - the tunable parameters of a kernel strategy -*- C++ -*-===//
//
// Each strategy declares its space next to its lowering (mfreeSearchSpace,
// lutSearchSpace): the packings it reads and the values worth trying for
// every #tern.kernel parameter on a target. A point of the space is one value
// per parameter; it is a candidate when #tern.kernel's verifier accepts it.
// The tuner, the cost model and `tern-tune space` see spaces only through
// this interface, so a new strategy brings its space with it.
//
//===----------------------------------------------------------------------===//
#ifndef TERN_COMPILER_TUNING_SEARCHSPACE_H
#define TERN_COMPILER_TUNING_SEARCHSPACE_H

#include "dialects/tern/TernDialect.h"
#include "targets/Target.h"

#include <string>
#include <vector>

namespace tern {

struct ParameterRange {
  std::string name; // as in #tern.kernel: tile_n, tile_m, unroll_k, prefetch, streams
  std::vector<int64_t> values;
};

/// One kernel to try: a strategy, the packing it reads, its parameters.
struct Candidate {
  Strategy strategy;
  Packing packing;
  KernelAttr kernel;
  /// "mfree/i2 #tern.kernel<...>": the key of the candidate in a tuning
  /// database.
  std::string key() const;
};

/// Multiply-accumulates one iteration of a candidate's innermost loop does
/// for an m-row matmul: what a static cost model divides the loop's cycles
/// by.
using InnerLoopWork = int64_t (*)(const Candidate &c, int64_t m);

class SearchSpace {
public:
  SearchSpace(Strategy strategy, std::vector<Packing> packings, int64_t lanes,
              std::vector<ParameterRange> parameters, InnerLoopWork innerLoopWork)
      : strategy_(strategy), packings_(std::move(packings)), lanes_(lanes),
        parameters_(std::move(parameters)), innerLoopWork_(innerLoopWork) {}

  int64_t innerLoopMacs(const Candidate &c, int64_t m) const { return innerLoopWork_(c, m); }

  Strategy strategy() const { return strategy_; }
  const std::vector<Packing> &packings() const { return packings_; }
  int64_t lanes() const { return lanes_; }
  const std::vector<ParameterRange> &parameters() const { return parameters_; }

  /// Points in the space, valid or not: packings x the product of the ranges.
  int64_t points() const;
  /// The candidate at point `index` in [0, points()), or nullopt where the
  /// verifier rejects it (`why` says why).
  std::optional<Candidate> candidate(mlir::MLIRContext *ctx, int64_t index,
                                     std::string *why = nullptr) const;
  /// Every valid candidate, in point order.
  std::vector<Candidate> candidates(mlir::MLIRContext *ctx) const;
  /// The point whose values are closest to `kernel`'s (for mutation).
  std::vector<int64_t> coordinates(const Candidate &c) const;
  int64_t index(const std::vector<int64_t> &coordinates) const;

private:
  Strategy strategy_;
  std::vector<Packing> packings_;
  int64_t lanes_;
  std::vector<ParameterRange> parameters_;
  InnerLoopWork innerLoopWork_;
};

/// The space of `strategy` for an m x n x k matmul on `target`.
SearchSpace searchSpaceFor(Strategy strategy, const TargetDesc &target, int64_t m);

/// Every strategy's space, in a fixed order.
std::vector<SearchSpace> allSearchSpaces(const TargetDesc &target, int64_t m);

} // namespace tern

#endif // TERN_COMPILER_TUNING_SEARCHSPACE_H
