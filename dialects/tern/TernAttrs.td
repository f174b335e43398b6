//===- TernAttrs.td - tern attributes ----------------------*- tablegen -*-===//
#ifndef TERN_ATTRS_TD
#define TERN_ATTRS_TD

include "dialects/tern/TernBase.td"

def Tern_Packing : I32EnumAttr<"Packing", "how ternary weights are packed into bytes", [
    I32EnumAttrCase<"i2", 0>,
    I32EnumAttrCase<"base3", 1>,
    I32EnumAttrCase<"lut2", 2>,
    I32EnumAttrCase<"lut3", 3>,
    I32EnumAttrCase<"idx3", 4>,
  ]> {
  let genSpecializedAttr = 0;
  let cppNamespace = "::tern";
}

def Tern_PackingAttr : EnumAttr<Tern_Dialect, Tern_Packing, "packing"> {
  let summary = "Packing of a ternary weight matrix";
  let description = [{
    * `i2`: 2 bits per weight, 4 weights per byte, stored as `w + 1`.
    * `base3`: 1.6 bits per weight, 5 weights per byte as a base-3 number,
      scaled so that digits come out by multiplication instead of division.
    * `lut2`: a 4-bit index per pair of weights (9 combinations), 2 bits per
      weight: what a lookup-table kernel reads.
    * `lut3`: a 4-bit index and a sign bit per triple of weights (27
      combinations, folded by symmetry to 14 and a sign), 1.67 bits per weight.
    * `idx3`: a byte per triple of weights, 8 x its base-3 code: the offset,
      scaled by 8 in an address, of the triple's entry in a rowlut table;
      2.67 bits per weight.

    K (the reduction dimension) must be a multiple of the packing group: 4
    for `i2` and `base3` (their kernels take activations four at a time), 2
    for `lut2`, 1 for `lut3` and `idx3` (a last partial triple is padded). The byte
    layout inside a packing is chosen by the kernel.
  }];
  let assemblyFormat = "`<` $value `>`";
}

def Tern_Strategy : I32EnumAttr<"Strategy", "ternary matmul kernel strategy", [
    I32EnumAttrCase<"mfree", 0>,
    I32EnumAttrCase<"lut", 1>,
    I32EnumAttrCase<"simt", 2>,
    I32EnumAttrCase<"amx", 3>,
    I32EnumAttrCase<"mma", 4>,
    I32EnumAttrCase<"rowlut", 5>,
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

    * `strategy`: `mfree` (multiply-free: int8 dot-product steps of
      activations with {0,1,2}-coded weights; reads `i2` and `base3`) or `lut`
      (per activation row, a table of every sum a group of 2 or 3 weights can
      make, indexed by the packed weights through byte shuffles; reads `lut2`
      and `lut3`), or `simt` (GPU style: each thread of a warp takes one
      output row and one of `streams` slices of K, 32-bit dp4a steps on i2
      weights, a warp reduction of the slices; reads `i2`), or `amx` (x86
      AMX tiles for prefill: the weights of a block decoded once into int8
      tiles, 16 x 64 activation tiles multiplied into int32 tiles by
      `tdpbssd`; reads `i2` or `base3` in the mfree layout, K a multiple of 64), or
      `mma` (GPU tensor cores for prefill: each warp multiplies tile_m
      16-row activation tiles by `streams` 8-row weight tiles, 32 K values
      a step, with int8 m16n8k32 MMA; the weights are unpacked from i2 to
      {-1, 0, 1} in registers), or `rowlut` (CPU prefill by table lookups
      with activation rows in the vector lanes: for 32 activation rows and
      each group of 3 K values, a table of the 27 sums the group's weights
      can make, as 32 int16 lanes; each weight byte (`idx3`) is the address
      of its entry, added whole into int16 sums of 32 rows; no multiplies).
    * `lanes`: 32-bit lanes per vector register (4 = 128-bit, 8 = 256-bit,
      16 = 512-bit); for simt, the rows one warp covers (lanes x streams =
      32 threads); for mma 8, the rows of an MMA weight tile.
    * `tile_n`: output rows per block, a multiple of `lanes`; blocks are the
      unit of work distributed over threads and of the packed weight layout.
      rowlut: output rows per register tile (any count up to 16).
    * `tile_m`: activation rows per register tile; amx: activation tiles of
      16 rows per step; mma: activation tiles of 16 rows per warp.
    * `unroll_k`: steps along K per loop iteration: mfree chunks (16 weights
      per row for i2, 20 for base3), lut pairs of groups (a divisor of 32);
      amx: weight tiles of 16 output rows per step (each step multiplies
      tile_m x unroll_k accumulator tiles); mma: steps of 32 K values;
      rowlut: the weights are stored in K slabs of 4 x unroll_k groups,
      which a register tile sums before it widens into int32.
    * `prefetch`: how many steps ahead the weights are software-prefetched
      (0: none), for decoding, where they stream from memory once.
    * `streams`: mfree: K is split into this many contiguous ranges read
      side by side, so that each thread keeps several sequential memory
      streams in flight, and the weights are stored in as many K slabs, so
      that each range is one sequential stream across consecutive blocks
      (a kernel that first decodes a block into a panel reads the panel as
      one stream);
      amx: the K slabs the weights are stored in (1 unless they are shared
      with an mfree kernel of more streams); simt: the slices of K the threads of a warp split
      each row into; mma: weight tiles of 8 rows per warp (a block has
      tile_n / (8 x streams) warps); rowlut: the parallel tasks the output
      rows are split into (each builds every slab's tables for itself).

    Example: `#tern.kernel<mfree, lanes = 16, tile_n = 32, tile_m = 4, unroll_k = 1>`
  }];
  let parameters = (ins
    EnumParameter<Tern_Strategy>:$strategy,
    "int64_t":$lanes,
    "int64_t":$tile_n,
    "int64_t":$tile_m,
    "int64_t":$unroll_k,
    DefaultValuedParameter<"int64_t", "0">:$prefetch,
    DefaultValuedParameter<"int64_t", "1">:$streams
  );
  let assemblyFormat =
      "`<` $strategy `,` struct($lanes, $tile_n, $tile_m, $unroll_k, $prefetch, $streams) `>`";
  let genVerifyDecl = 1;
}

#endif // TERN_ATTRS_TD
