//===- TernOps.td - all tern ops ---------------------------*- tablegen -*-===//
#ifndef TERN_OPS_TD
#define TERN_OPS_TD

include "dialects/tern/TernKernelOps.td"

#endif // TERN_OPS_TD
