//===- MachineDescription.h - a machine's capabilities as data -*- C++ -*-===//
//
// What a machine can do, in the terms Tern's kernels are made of: bytes per
// second from each level of memory, int8 multiply-accumulates, table lookups
// and simple integer operations per cycle, energy per operation, and an
// optional hypothetical ternary dot product. Read from the YAML files of
// targets/descriptions (schema: docs/target-descriptions.md) and validated on
// load. Figures are per core (CPU) or per SM (GPU) unless named otherwise.
//
//===----------------------------------------------------------------------===//
#ifndef TERN_TARGETS_MACHINEDESCRIPTION_H
#define TERN_TARGETS_MACHINEDESCRIPTION_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <optional>
#include <string>
#include <vector>

namespace tern {

struct MachineDescription {
  struct Vector {
    int64_t widthBits = 0;
    int64_t registers = 0;
  };
  struct Int8Dot {
    double macsPerCycle = 0;
    double latencyCycles = 0;
  };
  struct Lookup {
    int64_t tableEntries = 0;
    double bytesPerCycle = 0;
    double latencyCycles = 0;
  };
  struct Cache {
    int64_t level = 0;
    double sizeKiB = 0;
    double bandwidthGBs = 0; // read, per core
    bool shared = false;
  };
  struct Dram {
    double bandwidthGBs = 0;     // whole chip
    double coreBandwidthGBs = 0; // one core alone
    double latencyNs = 0;
    /// Fraction of the bandwidth that streaming kernels sustain while they
    /// compute (a bare read loop gets all of it), in (0, 1].
    double streamEfficiency = 1;
  };
  struct Energy { // picojoules
    double int8Mac = 0, lookupByte = 0, intOp = 0, fp32Flop = 0, cacheByte = 0, dramByte = 0;
  };
  struct Ternary {
    double weightsPerCycle = 0;
    double latencyCycles = 0;
    double energyPjPerWeight = 0;
  };

  std::string name, summary;
  std::string kind; // "cpu" | "gpu"
  std::string isa;  // "x86_64" | "aarch64" | "nvptx"
  int64_t cores = 0;
  double frequencyGHz = 0;
  Vector vector;
  Int8Dot int8Dot;
  Lookup lookup;
  double intOpsPerCycle = 0;
  double fp32FlopsPerCycle = 0;
  std::vector<Cache> caches;
  Dram dram;
  double launchOverheadUs = 0;
  /// Fraction of the shorter of a kernel's memory and compute time hidden
  /// under the longer, in [0, 1].
  double overlap = 0;
  Energy energyPj;
  std::optional<Ternary> ternary;

  bool isGpu() const { return kind == "gpu"; }
  /// Read bandwidth of `threads` cores streaming kernels from DRAM together.
  double dramBandwidthGBs(int64_t threads) const;
  /// The innermost cache that holds `bytes` (per core, or the shared one), or
  /// null when only DRAM does.
  const Cache *cacheHolding(double bytes, int64_t threads) const;

  /// Sets the figure at a dotted path ("dram.bandwidth_gbs",
  /// "lookup.table_entries", "caches.2.size_kib", "ternary.weights_per_cycle")
  /// and re-validates: what sweeps vary. "vector.lanes" (32-bit lanes) sets
  /// the vector width and scales every per-cycle vector rate with it.
  llvm::Error set(llvm::StringRef path, double value);
  /// The figure at a dotted path.
  llvm::Expected<double> get(llvm::StringRef path) const;
};

/// Parses and validates a description; errors name `sourceName`, the line and
/// the key.
llvm::Expected<MachineDescription> parseMachineDescription(llvm::StringRef yaml,
                                                           llvm::StringRef sourceName);
llvm::Expected<MachineDescription> loadMachineDescription(llvm::StringRef path);

/// The consistency checks of a parsed description, as one message per problem.
std::vector<std::string> validateMachineDescription(const MachineDescription &machine);

/// The directory of the descriptions shipped with Tern, for names given
/// without a path ("zen5-desktop").
std::string findMachineDescription(llvm::StringRef nameOrPath);

} // namespace tern

#endif // TERN_TARGETS_MACHINEDESCRIPTION_H
