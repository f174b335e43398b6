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
  let summary = "Vector int8 dot product in groups of four, accumulated in int32";
  let description = [{
    `result[i] = acc[i] + sum_{j<4} zext(lhs[4i+j]) * sext(rhs[4i+j])`, without
    saturation. `lhs` elements must lie in [0, 127], so that every target has
    an exact instruction sequence for it (vpdpbusd, vpmaddubsw+vpmaddwd,
    sdot, or plain widening arithmetic).

    ```mlir
    %r = tern.vdot %acc, %w, %x : vector<16xi32>, vector<64xi8>
    ```
  }];
  let arguments = (ins VectorOfRankAndType<[1], [I32]>:$acc,
                       VectorOfRankAndType<[1], [I8]>:$lhs,
                       VectorOfRankAndType<[1], [I8]>:$rhs);
  let results = (outs VectorOfRankAndType<[1], [I32]>:$result);
  let assemblyFormat = "$acc `,` $lhs `,` $rhs attr-dict `:` type($acc) `,` type($lhs)";
  let hasVerifier = 1;
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

#endif // TERN_KERNEL_OPS_TD
