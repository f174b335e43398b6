//===- TernKernelOps.td - kernel-level tern ops ------------*- tablegen -*-===//
#ifndef TERN_KERNEL_OPS_TD
#define TERN_KERNEL_OPS_TD

include "dialects/tern/TernModelOps.td"
include "mlir/IR/SymbolInterfaces.td"

def Tern_LLVMPointer : Type<CPred<"::llvm::isa<::mlir::LLVM::LLVMPointerType>($_self)">,
                            "LLVM pointer", "::mlir::LLVM::LLVMPointerType">,
                       BuildableType<"::mlir::LLVM::LLVMPointerType::get($_builder.getContext())">;

def Tern_MatmulOp : Tern_Op<"matmul"> {
  let summary = "Ternary x int8 matrix product with a chosen kernel";
  let description = [{
    `out[m, n] = (sum_k a[m, k] * w[n, k]) / (a_scale[m] * w_scale)` with `a`
    int8 [M, K], `w` ternary [N, K], integer accumulation and an f32 result.
    The `kernel` attribute says how it is computed; the lowering of its
    strategy reads the packed bytes of `w` in the layout that strategy
    defines.

    ```mlir
    tern.matmul ins(%a, %as, %w, %ws : memref<?x2560xi8>, memref<?xf32>,
                    !tern.ternary<640x2560, #tern.packing<i2>>, f32)
                outs(%y : memref<?x640xf32>)
                {kernel = #tern.kernel<mfree, lanes = 16, tile_n = 32, tile_m = 4, unroll_k = 1>}
    ```
  }];
  let arguments = (ins Arg<MemRefRankOf<[I8], [2]>, "", [MemRead]>:$a,
                       Arg<MemRefRankOf<[F32], [1]>, "", [MemRead]>:$a_scale,
                       Tern_Ternary:$weight,
                       F32:$weight_scale,
                       Arg<Tern_Rows, "", [MemWrite]>:$out,
                       Tern_KernelAttr:$kernel);
  let assemblyFormat = [{
    `ins` `(` $a `,` $a_scale `,` $weight `,` $weight_scale `:`
      type($a) `,` type($a_scale) `,` qualified(type($weight)) `,` type($weight_scale) `)`
    `outs` `(` $out `:` type($out) `)` attr-dict
  }];
  let hasVerifier = 1;
}

def Tern_VdotOp : Tern_Op<"vdot", [Pure, AllTypesMatch<["acc", "result"]>,
                                   AllTypesMatch<["lhs", "rhs"]>]> {
  let summary = "Vector int8 dot product in groups of four (int32) or two (int16)";
  let description = [{
    With G = 4 for int32 and G = 2 for int16 accumulators,
    `result[i] = acc[i] + sum_{j<G} zext(lhs[Gi+j]) * sext(rhs[Gi+j])`,
    wrapping modulo 2^32 or 2^16, without saturation. `lhs_max` promises
    that every `lhs` element lies in [0, lhs_max]: up to 127, every target
    has an exact short sequence for int32 (vpdpbusd, vpmaddubsw+vpmaddwd,
    sdot); above it only some do (vpdpbusd) and the rest take plain
    widening arithmetic. int16 accumulation is one vpmaddubsw and an add on
    x86: kernels without a one-instruction int32 dot product accumulate a
    bounded number of steps in int16 and widen them to int32 now and then.

    ```mlir
    %r = tern.vdot %acc, %w, %x {lhs_max = 2} : vector<16xi32>, vector<64xi8>
    %p = tern.vdot %acc16, %w, %x {lhs_max = 2} : vector<32xi16>, vector<64xi8>
    ```
  }];
  let arguments = (ins VectorOfRankAndType<[1], [I32, I16]>:$acc,
                       VectorOfRankAndType<[1], [I8]>:$lhs,
                       VectorOfRankAndType<[1], [I8]>:$rhs,
                       DefaultValuedAttr<I64Attr, "127">:$lhs_max);
  let results = (outs VectorOfRankAndType<[1], [I32, I16]>:$result);
  let assemblyFormat = "$acc `,` $lhs `,` $rhs attr-dict `:` type($acc) `,` type($lhs)";
  let extraClassDeclaration = [{
    /// int8 elements per accumulator lane: 4 (int32) or 2 (int16).
    int64_t getGroupSize() {
      return getAcc().getType().getElementTypeBitWidth() / 8;
    }
  }];
  let hasVerifier = 1;
}

def Tern_AddPairsOp : Tern_Op<"add_pairs", [Pure, AllTypesMatch<["acc", "result"]>]> {
  let summary = "Widen int16 pairs into int32 sums";
  let description = [{
    `result[i] = acc[i] + sext(pairs[2i]) + sext(pairs[2i+1])`, wrapping
    modulo 2^32: how kernels that accumulate tern.vdot steps in int16 fold
    them into their int32 sums (one vpmaddwd by ones and an add on x86).

    ```mlir
    %r = tern.add_pairs %acc, %pairs : vector<8xi32>, vector<16xi16>
    ```
  }];
  let arguments = (ins VectorOfRankAndType<[1], [I32]>:$acc,
                       VectorOfRankAndType<[1], [I16]>:$pairs);
  let results = (outs VectorOfRankAndType<[1], [I32]>:$result);
  let assemblyFormat = "$acc `,` $pairs attr-dict `:` type($acc) `,` type($pairs)";
  let hasVerifier = 1;
}

def Tern_TdotOp : Tern_Op<"tdot", [Pure, AllTypesMatch<["acc", "result"]>]> {
  let summary = "Ternary dot product over packed weights (hypothetical hardware)";
  let description = [{
    The instruction of a machine that multiplies packed ternary weights into
    int8 activations directly, with no decoding and no multiplier. Only
    targets whose description declares it (`ternary:` in
    targets/descriptions) get it; everywhere else it is lowered to its
    definition, which is how its kernels are tested. Each 32-bit lane i of
    `acc` owns the four bytes `weights[4i .. 4i+3]`, each holding P ternary
    weights (P = 4 for i2, 5 for base3, in packing::MfreeLayout's order); the
    weight of plane s of byte j multiplies `x[4s + j]`:

      result[i] = acc[i] + sum_{s < S} sum_{j < 4} t_s(weights[4i+j]) * sext(x[4s+j])

    with t_s in {-1, 0, 1} and S = len(x) / 4 <= P, so a last partial chunk
    uses only its first planes. The sum wraps modulo 2^32.

    ```mlir
    %r = tern.tdot %acc, %w, %x {packing = #tern.packing<i2>} : vector<16xi32>, vector<64xi8>, vector<16xi8>
    ```
  }];
  let arguments = (ins VectorOfRankAndType<[1], [I32]>:$acc,
                       VectorOfRankAndType<[1], [I8]>:$weights,
                       VectorOfRankAndType<[1], [I8]>:$x,
                       Tern_PackingAttr:$packing);
  let results = (outs VectorOfRankAndType<[1], [I32]>:$result);
  let assemblyFormat = "$acc `,` $weights `,` $x attr-dict `:` type($acc) `,` type($weights) `,` type($x)";
  let extraClassDeclaration = [{
    /// Ternary weights per packed byte: 4 (i2) or 5 (base3).
    int64_t getPlanesPerByte() { return getPacking() == Packing::base3 ? 5 : 4; }
    /// Planes this step multiplies: len(x) / 4.
    int64_t getPlanes() { return getX().getType().getNumElements() / 4; }
  }];
  let hasVerifier = 1;
}

def Tern_UnpackI2Op : Tern_Op<"unpack_i2", [Pure, AllTypesMatch<["packed", "result"]>]> {
  let summary = "One plane of i2-packed ternary weights, a byte each";
  let description = [{
    `result[i] = ((packed[i] >> 2 plane) & 3) + bias`: the 2-bit code of
    plane `plane` (0-3) of each byte, as stored ({0, 1, 2} for weights
    {-1, 0, 1}; bias 0) or as the signed weight (bias -1). With bias -1,
    code 3, which holds no ternary weight, gives an unspecified byte (one
    instruction of x86's GFNI decodes the three codes but not it).

    ```mlir
    %w = tern.unpack_i2 %packed {plane = 1, bias = -1} : vector<64xi8>
    ```
  }];
  let arguments = (ins VectorOfRankAndType<[1], [I8]>:$packed, I64Attr:$plane,
                       DefaultValuedAttr<I64Attr, "0">:$bias);
  let results = (outs VectorOfRankAndType<[1], [I8]>:$result);
  let assemblyFormat = "$packed attr-dict `:` type($packed)";
  let hasVerifier = 1;
}

def Tern_Lookup16Op : Tern_Op<"lookup16", [Pure, AllTypesMatch<["indices", "result"]>]> {
  let summary = "Look bytes up in a 16-entry byte table";
  let description = [{
    `result[i] = table[indices[i]]`. Every index must lie in [0, 16), where
    pshufb, tbl and a plain gather agree; a lookup-table kernel feeds it
    4-bit weight codes.

    ```mlir
    %r = tern.lookup16 %table[%codes] : vector<16xi8>, vector<64xi8>
    ```
  }];
  let arguments = (ins VectorOfLengthAndType<[16], [I8]>:$table,
                       VectorOfRankAndType<[1], [I8]>:$indices);
  let results = (outs VectorOfRankAndType<[1], [I8]>:$result);
  let assemblyFormat = "$table `[` $indices `]` attr-dict `:` type($table) `,` type($indices)";
}

def Tern_BufferFromPtrOp : Tern_Op<"buffer_from_ptr", [Pure]> {
  let summary = "View a C pointer as a row-major memref or packed ternary matrix";
  let description = [{
    The bridge from a plain C ABI to memrefs: the result has an identity
    layout, offset 0 and the given sizes for its dynamic dimensions. A
    `!tern.ternary` result takes no sizes.

    ```mlir
    %a = tern.buffer_from_ptr %p[%m] : memref<?x2560xi8>
    %w = tern.buffer_from_ptr %q : !tern.ternary<640x2560, #tern.packing<i2>>
    ```
  }];
  let arguments = (ins Tern_LLVMPointer:$ptr, Variadic<Index>:$sizes);
  let results = (outs AnyTypeOf<[AnyMemRef, Tern_Ternary]>:$result);
  let assemblyFormat = "$ptr (`[` $sizes^ `]`)? attr-dict `:` type($result)";
  let hasVerifier = 1;
}

def Tern_ParallelDispatchOp : Tern_Op<"parallel_dispatch",
    [DeclareOpInterfaceMethods<SymbolUserOpInterface>]> {
  let summary = "Run an outlined loop body over [0, count) on the runtime's threads";
  let description = [{
    Calls `tern_parallel_for(runtime, count, trampoline, closure)`: the
    runtime splits [0, count) into ranges and calls `callee(begin, end,
    captures...)` for each, possibly concurrently.

    ```mlir
    tern.parallel_dispatch @body(%n) runtime(%rt) captures(%a, %s : memref<?xi8>, f32)
    ```
  }];
  let arguments = (ins FlatSymbolRefAttr:$callee,
                       Index:$count,
                       Tern_LLVMPointer:$runtime,
                       Variadic<AnyType>:$captures);
  let assemblyFormat = [{
    $callee `(` $count `)` `runtime` `(` $runtime `)`
    (`captures` `(` $captures^ `:` type($captures) `)`)? attr-dict
  }];
}

def Tern_GpuLaunchOp : Tern_Op<"gpu_launch",
    [DeclareOpInterfaceMethods<SymbolUserOpInterface>, AttrSizedOperandSegments]> {
  let summary = "Run an outlined GPU kernel on the runtime's GPU";
  let description = [{
    Launches `kernel(args...)` on a grid of `blocks` (x, and y if given)
    blocks of `threads` threads each, after every launch before it has
    finished. The arguments are values of the host (sizes, positions) and
    buffers in GPU memory.

    ```mlir
    tern.gpu_launch @norm_kernel blocks(%rows) threads(128) runtime(%rt)
        args(%x, %g : memref<?x256xf32>, memref<256xf32>)
    ```
  }];
  let arguments = (ins FlatSymbolRefAttr:$kernel,
                       Variadic<Index>:$blocks,
                       I64Attr:$threads,
                       Tern_LLVMPointer:$runtime,
                       Variadic<AnyType>:$args);
  let assemblyFormat = [{
    $kernel `blocks` `(` $blocks `)` `threads` `(` $threads `)` `runtime` `(` $runtime `)`
    (`args` `(` $args^ `:` type($args) `)`)? attr-dict
  }];
  let hasVerifier = 1;
}

#endif // TERN_KERNEL_OPS_TD
