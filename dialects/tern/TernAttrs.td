//===- TernAttrs.td - tern attributes ----------------------*- tablegen -*-===//
#ifndef TERN_ATTRS_TD
#define TERN_ATTRS_TD

include "dialects/tern/TernBase.td"

def Tern_Packing : I32EnumAttr<"Packing", "how ternary weights are packed into bytes", [
    I32EnumAttrCase<"i2", 0>,
  ]> {
  let genSpecializedAttr = 0;
  let cppNamespace = "::tern";
}

def Tern_PackingAttr : EnumAttr<Tern_Dialect, Tern_Packing, "packing"> {
  let summary = "Packing of a ternary weight matrix";
  let description = [{
    `i2`: 2 bits per weight, 4 weights per byte, stored as `w + 1` in {0, 1, 2}.
    K (the reduction dimension) must be a multiple of the packing group
    (4 for `i2`); the byte layout inside a packing is chosen by the kernel.
  }];
  let assemblyFormat = "`<` $value `>`";
}

def Tern_Strategy : I32EnumAttr<"Strategy", "ternary matmul kernel strategy", [
    I32EnumAttrCase<"mfree", 0>,
  ]> {
  let genSpecializedAttr = 0;
  let cppNamespace = "::tern";
}

def Tern_KernelAttr : AttrDef<Tern_Dialect, "Kernel"> {
  let mnemonic = "kernel";
  let summary = "The strategy and parameters chosen for one tern.matmul";
  let description = [{
    Every parameter that shapes the generated kernel, explicit so that tests
    and the tuner can read and set it:

    * `strategy`: `mfree` (multiply-free: weights select or weight
      int8 activations by 0/±1 through int8 dot-product steps).
    * `lanes`: 32-bit lanes per vector register (4 = 128-bit, 8 = 256-bit,
      16 = 512-bit).
    * `tile_n`: output rows per block, a multiple of `lanes`; blocks are the
      unit of work distributed over threads and of the packed weight layout.
    * `tile_m`: activation rows per register tile.
    * `unroll_k`: K chunks (16 weights per row each) per loop iteration.

    Example: `#tern.kernel<mfree, lanes = 16, tile_n = 32, tile_m = 4, unroll_k = 1>`
  }];
  let parameters = (ins
    EnumParameter<Tern_Strategy>:$strategy,
    "int64_t":$lanes,
    "int64_t":$tile_n,
    "int64_t":$tile_m,
    "int64_t":$unroll_k
  );
  let assemblyFormat = "`<` $strategy `,` struct($lanes, $tile_n, $tile_m, $unroll_k) `>`";
  let genVerifyDecl = 1;
}

#endif // TERN_ATTRS_TD
