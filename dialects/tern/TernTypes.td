//===- TernTypes.td - tern types ---------------------------*- tablegen -*-===//
#ifndef TERN_TYPES_TD
#define TERN_TYPES_TD

include "dialects/tern/TernAttrs.td"

def Tern_TernaryType : TypeDef<Tern_Dialect, "Ternary"> {
  let mnemonic = "ternary";
  let summary = "A packed ternary weight matrix";
  let description = [{
    An N x K matrix of weights in {-1, 0, +1} (N outputs, K inputs), packed
    as its `#tern.packing` says. It is a handle to bytes laid out for the
    kernel that reads them; the lowering of `tern.matmul` turns it into a
    `memref<?xi8>`.

    Example: `!tern.ternary<2560x6912, #tern.packing<i2>>`
  }];
  let parameters = (ins ArrayRefParameter<"int64_t">:$shape, "PackingAttr":$packing);
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    int64_t getRows() const { return getShape()[0]; }
    int64_t getCols() const { return getShape()[1]; }
  }];
}

#endif // TERN_TYPES_TD
