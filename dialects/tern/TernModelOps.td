//===- TernModelOps.td - model-level tern ops --------------*- tablegen -*-===//
//
// One op per layer of a ternary transformer, in destination-passing style on
// memrefs: `ins` are read, `outs` are written. Rows are tokens.
//
//===----------------------------------------------------------------------===//
#ifndef TERN_MODEL_OPS_TD
#define TERN_MODEL_OPS_TD

include "dialects/tern/TernTypes.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

def Tern_Rows : MemRefRankOf<[F32], [2]>;
def Tern_HighPrecisionTable : MemRefRankOf<[BF16, F16, F32], [2]>;
// The output head's table: the embedding table as the checkpoint stores it,
// or an int8 copy with one f32 scale per row (`row_scale`), half the bytes
// of a bf16 table.
def Tern_HeadTable : MemRefRankOf<[BF16, F16, F32, I8], [2]>;
def Tern_RowScales : MemRefRankOf<[F32], [1]>;
def Tern_Ternary : Type<CPred<"::llvm::isa<::tern::TernaryType>($_self)">,
                        "packed ternary matrix", "::tern::TernaryType">;

def Tern_WeightOp : Tern_Op<"weight", [Pure]> {
  let summary = "A named weight of the model, stored outside the IR";
  let description = [{
    Names a tensor of the checkpoint; the artifact writer places its bytes in
    `weights.bin`, in the layout of the op that reads it, and the runtime maps
    them. With a `layer` operand it names one of a stack of per-layer tensors
    of one shape (`"layers.q_proj"[%l]`). Once weights are placed, `offset`
    and `stride` (bytes from one layer's tensor to the next) say where.

    ```mlir
    %w = tern.weight "layers.q_proj"[%l] : !tern.ternary<2560x2560, #tern.packing<i2>>
    %g = tern.weight "norm" : memref<2560xf32>
    ```
  }];
  let arguments = (ins StrAttr:$name, Optional<Index>:$layer,
                       OptionalAttr<I64Attr>:$offset, OptionalAttr<I64Attr>:$stride);
  let results = (outs AnyTypeOf<[AnyStaticShapeMemRef, Tern_Ternary]>:$result);
  let assemblyFormat = "$name (`[` $layer^ `]`)? attr-dict `:` type($result)";
  let hasVerifier = 1;
}

def Tern_EmbedOp : Tern_Op<"embed"> {
  let summary = "Token embedding lookup";
  let description = [{
    `out[i, :] = table[tokens[i], :]`, converted to f32.
  }];
  let arguments = (ins Arg<Tern_HighPrecisionTable, "", [MemRead]>:$table,
                       Arg<MemRefRankOf<[I32], [1]>, "", [MemRead]>:$tokens,
                       Arg<Tern_Rows, "", [MemWrite]>:$out);
  let assemblyFormat = [{
    `ins` `(` $table `,` $tokens `:` type($table) `,` type($tokens) `)`
    `outs` `(` $out `:` type($out) `)` attr-dict
  }];
  let hasVerifier = 1;
}

def Tern_RmsNormOp : Tern_Op<"rms_norm"> {
  let summary = "RMS normalization with a learned gain";
  let description = [{
    `out[i, j] = x[i, j] / sqrt(mean_j(x[i, :]^2) + epsilon) * gamma[j]`.
  }];
  let arguments = (ins Arg<Tern_Rows, "", [MemRead]>:$x,
                       Arg<MemRefRankOf<[BF16, F16, F32], [1]>, "", [MemRead]>:$gamma,
                       Arg<Tern_Rows, "", [MemWrite]>:$out,
                       F32Attr:$epsilon);
  let assemblyFormat = [{
    `ins` `(` $x `,` $gamma `:` type($x) `,` type($gamma) `)`
    `outs` `(` $out `:` type($out) `)` attr-dict
  }];
  let hasVerifier = 1;
}

def Tern_QuantizeOp : Tern_Op<"quantize"> {
  let summary = "Per-token absmax quantization of activations to int8";
  let description = [{
    `scale[i] = 127 / max(max_j |x[i, j]|, 1e-5)` and
    `q[i, j] = clamp(round_half_even(x[i, j] * scale[i]), -128, 127)`.
  }];
  let arguments = (ins Arg<Tern_Rows, "", [MemRead]>:$x,
                       Arg<MemRefRankOf<[I8], [2]>, "", [MemWrite]>:$q,
                       Arg<MemRefRankOf<[F32], [1]>, "", [MemWrite]>:$scale);
  let assemblyFormat = [{
    `ins` `(` $x `:` type($x) `)`
    `outs` `(` $q `,` $scale `:` type($q) `,` type($scale) `)` attr-dict
  }];
  let hasVerifier = 1;
}

def Tern_BitLinearOp : Tern_Op<"bitlinear"> {
  let summary = "BitLinear layer: int8-quantized activations times ternary weights";
  let description = [{
    `out = quantize(x) * w^T / (act_scale * weight_scale)` with `x` [M, K],
    `w` [N, K] ternary, `out` [M, N]. No bias. `kernel`, once chosen, is the
    kernel of the `tern.matmul` it becomes.
  }];
  let arguments = (ins Arg<Tern_Rows, "", [MemRead]>:$x,
                       Tern_Ternary:$weight,
                       F32:$weight_scale,
                       Arg<Tern_Rows, "", [MemWrite]>:$out,
                       OptionalAttr<Tern_KernelAttr>:$kernel);
  let assemblyFormat = [{
    `ins` `(` $x `,` $weight `,` $weight_scale `:` type($x) `,` qualified(type($weight)) `,` type($weight_scale) `)`
    `outs` `(` $out `:` type($out) `)` attr-dict
  }];
  let hasVerifier = 1;
}

def Tern_RopeOp : Tern_Op<"rope"> {
  let summary = "Rotary position embedding (rotate-half convention)";
  let description = [{
    Row i is at position `position + i`. Each head of `head_dim` values is
    rotated pairwise (j, j + head_dim/2) by angle
    `(position + i) * theta^(-2j/head_dim)`.
  }];
  let arguments = (ins Arg<Tern_Rows, "", [MemRead]>:$x,
                       Index:$position,
                       Arg<Tern_Rows, "", [MemWrite]>:$out,
                       I64Attr:$head_dim,
                       F32Attr:$theta);
  let assemblyFormat = [{
    `ins` `(` $x `,` $position `:` type($x) `)`
    `outs` `(` $out `:` type($out) `)` attr-dict
  }];
  let hasVerifier = 1;
}

def Tern_AttentionOp : Tern_Op<"attention"> {
  let summary = "Causal grouped-query attention that appends to the KV cache";
  let description = [{
    Writes the rows of `k` and `v` into the caches at positions
    `[position, position + M)`, then for every row i and query head h attends
    over cache positions `[0, position + i]` of KV head
    `h / (num_heads / num_kv_heads)`, with scores scaled by
    `1 / sqrt(head_dim)`. The caches are KV head major,
    `[num_kv_heads, context, head_dim]`: a head's positions are contiguous,
    which is how attention reads them.
  }];
  let arguments = (ins Arg<Tern_Rows, "", [MemRead]>:$q,
                       Arg<Tern_Rows, "", [MemRead]>:$k,
                       Arg<Tern_Rows, "", [MemRead]>:$v,
                       Arg<MemRefRankOf<[F16, F32], [3]>, "", [MemRead, MemWrite]>:$k_cache,
                       Arg<MemRefRankOf<[F16, F32], [3]>, "", [MemRead, MemWrite]>:$v_cache,
                       Index:$position,
                       Arg<Tern_Rows, "", [MemWrite]>:$out,
                       I64Attr:$num_heads,
                       I64Attr:$num_kv_heads,
                       I64Attr:$head_dim);
  let assemblyFormat = [{
    `ins` `(` $q `,` $k `,` $v `,` $k_cache `,` $v_cache `,` $position `:`
      type($q) `,` type($k) `,` type($v) `,` type($k_cache) `,` type($v_cache) `)`
    `outs` `(` $out `:` type($out) `)` attr-dict
  }];
  let hasVerifier = 1;
}

class Tern_ElementwiseOp<string mnemonic, int numInputs> : Tern_Op<mnemonic> {
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    static constexpr int kNumInputs = }] # numInputs # [{;
  }];
}

def Tern_Relu2Op : Tern_ElementwiseOp<"relu2", 1> {
  let summary = "Squared ReLU: max(x, 0)^2";
  let arguments = (ins Arg<Tern_Rows, "", [MemRead]>:$x,
                       Arg<Tern_Rows, "", [MemWrite]>:$out);
  let assemblyFormat = [{
    `ins` `(` $x `:` type($x) `)` `outs` `(` $out `:` type($out) `)` attr-dict
  }];
}

def Tern_MulOp : Tern_ElementwiseOp<"mul", 2> {
  let summary = "Elementwise product";
  let arguments = (ins Arg<Tern_Rows, "", [MemRead]>:$lhs,
                       Arg<Tern_Rows, "", [MemRead]>:$rhs,
                       Arg<Tern_Rows, "", [MemWrite]>:$out);
  let assemblyFormat = [{
    `ins` `(` $lhs `,` $rhs `:` type($lhs) `,` type($rhs) `)` `outs` `(` $out `:` type($out) `)` attr-dict
  }];
}

def Tern_AddOp : Tern_ElementwiseOp<"add", 2> {
  let summary = "Elementwise sum (residual connections)";
  let arguments = (ins Arg<Tern_Rows, "", [MemRead]>:$lhs,
                       Arg<Tern_Rows, "", [MemRead]>:$rhs,
                       Arg<Tern_Rows, "", [MemWrite]>:$out);
  let assemblyFormat = [{
    `ins` `(` $lhs `,` $rhs `:` type($lhs) `,` type($rhs) `)` `outs` `(` $out `:` type($out) `)` attr-dict
  }];
}

def Tern_LmHeadOp : Tern_Op<"lm_head"> {
  let summary = "Output projection to vocabulary logits (tied embeddings)";
  let description = [{
    `logits[i, v] = sum_j x[i, j] * table[v, j]`, times `row_scale[v]`
    for an int8 table.
  }];
  let arguments = (ins Arg<Tern_Rows, "", [MemRead]>:$x,
                       Arg<Tern_HeadTable, "", [MemRead]>:$table,
                       Arg<Tern_Rows, "", [MemWrite]>:$logits,
                       Arg<Optional<Tern_RowScales>, "", [MemRead]>:$row_scale);
  let assemblyFormat = [{
    `ins` `(` $x `,` $table `:` type($x) `,` type($table) `)`
    `outs` `(` $logits `:` type($logits) `)` (`row_scale` `(` $row_scale^ `:` type($row_scale) `)`)?
    attr-dict
  }];
  let hasVerifier = 1;
}

#endif // TERN_MODEL_OPS_TD
