//===- ModelBuilder.h - a BitNet b1.58 model as tern IR ----------*- C++ -*-===//
//
// Every model artifact exports two C functions of the same signature:
//
//   void tern_model_prefill / tern_model_decode(
//       void *runtime, const uint8_t *weights, float *k_cache, float *v_cache,
//       uint8_t *scratch, const int32_t *tokens, int64_t n, int64_t position,
//       float *logits, int64_t first_logit_row);
//
// They run tokens[0..n) at positions [position, position + n), append to the
// KV caches ([layers, context, kv_heads * head_dim] f32 each) and write the
// logits of rows [first_logit_row, n) to `logits`. decode is prefill
// specialized for n = 1. `weights` is weights.bin; `scratch` holds the
// activations (its size is in the manifest).
//
//===----------------------------------------------------------------------===//
#ifndef TERN_COMPILER_IMPORT_MODELBUILDER_H
#define TERN_COMPILER_IMPORT_MODELBUILDER_H

#include "compiler/import/Checkpoint.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

namespace tern {

inline constexpr llvm::StringLiteral kPrefillSymbol = "tern_model_prefill";
inline constexpr llvm::StringLiteral kDecodeSymbol = "tern_model_decode";

/// Names of the model's weights in tern IR and in the artifact, the same
/// whatever the checkpoint format. Per-layer ones start with "layers.".
namespace weight_names {
inline constexpr llvm::StringLiteral kEmbedding = "embed_tokens";
/// The int8 copy of the embedding table the output head reads where asked
/// for (its scales: kInt8Head + kScaleSuffix).
inline constexpr llvm::StringLiteral kInt8Head = "lm_head_int8";
inline constexpr llvm::StringLiteral kFinalNorm = "norm";
inline constexpr llvm::StringLiteral kLayerPrefix = "layers.";
inline constexpr llvm::StringLiteral kScaleSuffix = ".scale";
/// A ternary matrix's own copy for the prefill kernels, where asked for:
/// the same weights in the layout those kernels choose (its scale is the
/// matrix's).
inline constexpr llvm::StringLiteral kPrefillSuffix = ".prefill";
} // namespace weight_names

/// The linear layers and norms of one transformer block, in checkpoint terms.
extern const char *const kLinearRoles[7]; // q_proj k_proj v_proj o_proj gate_proj up_proj down_proj
extern const char *const kNormRoles[4];   // input_layernorm attn_sub_norm post_attention_layernorm ffn_sub_norm

/// The model-level tern module of `config` with both entry points. The KV
/// caches hold `context` positions; the embedding table has element type
/// `embedding` (as stored in the checkpoint). With `int8Head` the output
/// head reads kInt8Head, the table in int8 with one f32 scale per row,
/// instead of the table. With `prefillCopies` the prefill function's
/// bitlinears read each matrix's kPrefillSuffix copy.
mlir::OwningOpRef<mlir::ModuleOp> buildModelModule(mlir::MLIRContext *ctx,
                                                   const ModelConfig &config, DType embedding,
                                                   bool int8Head, int64_t context,
                                                   bool prefillCopies = false);

} // namespace tern

#endif // TERN_COMPILER_IMPORT_MODELBUILDER_H
