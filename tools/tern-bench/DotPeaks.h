//===- DotPeaks.h - what the host's int8 dot-product instructions can do -*- C++ -*-===//
//
// The ceiling of a compute-bound (prefill) kernel is set by the instruction
// its inner loop is made of, issued back to back with no memory traffic.
// Each probe times such a loop on one thread, so that a kernel's GMAC/s can
// be read as a fraction of what its instructions allow on this core, the
// way decode kernels are read against the measured memory bandwidth.
//
//===----------------------------------------------------------------------===//
#ifndef TERN_TOOLS_TERN_BENCH_DOTPEAKS_H
#define TERN_TOOLS_TERN_BENCH_DOTPEAKS_H

#include <string>
#include <vector>

namespace tern::measure {

struct DotPeak {
  std::string instructions; // e.g. "vpmaddubsw + vpaddw, 256-bit (AVX2)"
  double gmacs;             // int8 multiply-accumulates per second, 1 thread, x 1e9
};

/// One probe per dot-product family the host can run (x86 only; empty
/// elsewhere), each the best of several timed runs.
std::vector<DotPeak> measureDotPeaks();

} // namespace tern::measure

#endif // TERN_TOOLS_TERN_BENCH_DOTPEAKS_H
