//===- ModelArtifact.h - `ternc compile`: a checkpoint to NAME.tern/ -*- C++ -*-===//
//
// The artifact directory the runtime loads:
//   manifest.json   model configuration, target and required CPU features,
//                   entry points, weight table, scratch and KV cache sizes,
//                   special tokens, chat template, checksums, format version
//   model.so        the compiled model (tern_model_prefill/_decode)
//   weights.bin     every weight in the layout its kernel reads, 64-byte
//                   aligned, mapped by the runtime
//   tokenizer.json  the tokenizer
//
//===----------------------------------------------------------------------===//
#ifndef TERN_COMPILER_PIPELINE_MODELARTIFACT_H
#define TERN_COMPILER_PIPELINE_MODELARTIFACT_H

#include "compiler/import/Checkpoint.h"
#include "targets/Target.h"

#include "mlir/IR/MLIRContext.h"

#include <functional>

namespace tern {

struct ModelCompileOptions {
  std::string outputDir;
  int64_t context = 0;     // KV cache positions; 0: the model's context length
  int64_t maxBatch = 256;  // tokens per prefill call
  bool keepIntermediates = false;
  std::string tuningDb; // tern-tune's database ("": documented defaults)
  int64_t threads = 1;  // what the kernels are chosen for
  /// Non-zero: the model ops run as GPU blocks of this many threads and the
  /// matmuls as simt kernels, emulated in loops on the CPU target (how GPU
  /// kernels are tested without a GPU).
  int64_t emulateGpuBlocks = 0;
  /// The output head reads an int8 copy of the tied embedding table, one
  /// scale per row, instead of the table as the checkpoint stores it (bf16
  /// for BitNet b1.58 2B4T): half the bytes of the largest read of a decode
  /// step, slightly different logits. Lookups still read the table.
  bool int8Head = false;
  /// The prefill kernels read their own copy of each ternary matrix, in the
  /// layout they choose (rowlut's idx3 where int8 dot products are slow),
  /// instead of the layout the decode kernels chose: faster prefill, more
  /// bytes of weights.
  bool prefillCopies = false;
  /// Hears each stage ("lowering", ...) and, while weights are written,
  /// progress as a fraction in [0, 1].
  std::function<void(llvm::StringRef stage, double fraction)> progress;
};

/// A matmul kernel the compiled model uses.
struct KernelUse {
  std::string function; // tern_model_prefill or tern_model_decode
  int64_t m, n, k;      // m = 0: the prefill batch, any number of rows
  std::string kernel;   // the #tern.kernel attribute
  std::string packing;
  std::string reason;   // why it was chosen
};

struct ModelCompileResult {
  std::vector<KernelUse> kernels;
  uint64_t weightsBytes = 0;
};

llvm::Expected<ModelCompileResult> compileModel(mlir::MLIRContext *ctx,
                                                const Checkpoint &checkpoint,
                                                const TargetDesc &target,
                                                const ModelCompileOptions &options);

} // namespace tern

#endif // TERN_COMPILER_PIPELINE_MODELARTIFACT_H
