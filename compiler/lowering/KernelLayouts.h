//===- KernelLayouts.h - the weight layout a kernel reads -------*- C++ -*-===//
#ifndef TERN_COMPILER_LOWERING_KERNELLAYOUTS_H
#define TERN_COMPILER_LOWERING_KERNELLAYOUTS_H

#include "compiler/packing/Layouts.h"
#include "dialects/tern/TernDialect.h"

namespace tern {

/// The packed-weight layout of an n x k matmul run by `kernel` on `packing`.
inline packing::LayoutParams weightLayout(KernelAttr kernel, Packing packing, int64_t n, int64_t k) {
  packing::Format format = packing::Format::MfreeI2;
  switch (packing) {
  case Packing::i2: format = packing::Format::MfreeI2; break;
  case Packing::base3: format = packing::Format::MfreeBase3; break;
  case Packing::lut2: format = packing::Format::Lut2; break;
  case Packing::lut3: format = packing::Format::Lut3; break;
  }
  return {format, n, k, kernel.getLanes(), kernel.getTileN()};
}

} // namespace tern

#endif // TERN_COMPILER_LOWERING_KERNELLAYOUTS_H
