//===- KernelLayouts.h - the weight layout a kernel reads -------*- C++ -*-===//
#ifndef TERN_COMPILER_LOWERING_KERNELLAYOUTS_H
#define TERN_COMPILER_LOWERING_KERNELLAYOUTS_H

#include "compiler/packing/Layouts.h"
#include "dialects/tern/TernDialect.h"

namespace tern {

/// The K slabs (packing::MfreeLayout) `kernel` reads its weights in: the
/// CPU strategies of the mfree layouts (mfree, amx) store K in `streams`
/// slabs. mfree reads them side by side; amx takes them where it shares the
/// weights with such a kernel. (The GPU strategies' streams divide their
/// threads' work; lut reads one stream.)
inline bool readsSlabs(Strategy strategy) {
  return strategy == Strategy::mfree || strategy == Strategy::amx;
}
inline int64_t kernelSlabs(KernelAttr kernel) {
  return readsSlabs(kernel.getStrategy()) ? kernel.getStreams() : 1;
}

/// `kernel` reading its weights in `slabs` K slabs; null where its strategy
/// cannot.
inline KernelAttr withSlabs(KernelAttr kernel, int64_t slabs) {
  if (kernelSlabs(kernel) == slabs)
    return kernel;
  if (!readsSlabs(kernel.getStrategy()))
    return nullptr;
  return KernelAttr::get(kernel.getContext(), kernel.getStrategy(), kernel.getLanes(),
                         kernel.getTileN(), kernel.getTileM(), kernel.getUnrollK(),
                         kernel.getPrefetch(), slabs);
}

/// The packed-weight layout of an n x k matmul run by `kernel` on `packing`.
inline packing::LayoutParams weightLayout(KernelAttr kernel, Packing packing, int64_t n, int64_t k) {
  packing::Format format = packing::Format::MfreeI2;
  switch (packing) {
  case Packing::i2: format = packing::Format::MfreeI2; break;
  case Packing::base3: format = packing::Format::MfreeBase3; break;
  case Packing::lut2: format = packing::Format::Lut2; break;
  case Packing::lut3: format = packing::Format::Lut3; break;
  case Packing::idx3: {
    // rowlut: slabs of 4 x unroll_k groups of 3 (see the lowering).
    int64_t slabGroups = 4 * kernel.getUnrollK();
    int64_t slabs = packing::ceilDiv(packing::ceilDiv(k, packing::Idx3Layout::kGroup), slabGroups);
    return {packing::Format::Idx3, n, k, kernel.getLanes(), kernel.getTileN(), slabs};
  }
  }
  return {format, n, k, kernel.getLanes(), kernel.getTileN(), kernelSlabs(kernel)};
}

} // namespace tern

#endif // TERN_COMPILER_LOWERING_KERNELLAYOUTS_H
