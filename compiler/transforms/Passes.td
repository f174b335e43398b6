//===- Passes.td - model-level tern passes ------------------*- tablegen -*-===//
#ifndef TERN_COMPILER_TRANSFORMS_PASSES_TD
#define TERN_COMPILER_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def TernAssignKernels : Pass<"tern-assign-kernels", "mlir::ModuleOp"> {
  let summary = "Choose the #tern.kernel of every tern.bitlinear";
  let description = [{
    For each `tern.bitlinear` without a kernel, chooses one for the module's
    target (`tern.target`) and the op's shape: rows known to be 1 are decode
    matmuls, others prefill matmuls (tuned for 128 rows). With a tuning
    database, the fastest measured candidate for the machine, shape and
    thread count wins, packing included (a `tern.weight` is retyped to it);
    otherwise the strategy's documented default. Every bitlinear reading the
    same weights shares one weight layout: the decode kernel picks it, the
    others follow. Each choice's reason is left in `tern.kernel_reason`.
  }];
  let options = [
    Option<"tuningDb", "tuning-db", "std::string", /*default=*/"\"\"",
           "SQLite tuning database written by tern-tune (empty: none)">,
    Option<"threads", "threads", "int64_t", /*default=*/"1",
           "Threads the kernels will run on (tuning data is per thread count)">,
    Option<"strategy", "strategy", "std::string", /*default=*/"\"\"",
           "Only this strategy's kernels (e.g. simt, a GPU's, run in loops on a CPU "
           "target); empty: any">,
  ];
}

def TernDecomposeBitLinear : Pass<"tern-decompose-bitlinear", "mlir::ModuleOp"> {
  let summary = "Split tern.bitlinear into tern.quantize and tern.matmul";
  let description = [{
    Every `tern.bitlinear` with a kernel becomes a per-token `tern.quantize`
    into new int8 and scale buffers followed by the `tern.matmul` of that
    kernel.
  }];
  let dependentDialects = ["mlir::memref::MemRefDialect"];
}

def TernShareQuantize : Pass<"tern-share-quantize", "mlir::ModuleOp"> {
  let summary = "Quantize an activation once for all the matmuls that read it";
  let description = [{
    A `tern.quantize` of a buffer that an earlier `tern.quantize` in the same
    block already quantized, with nothing writing that buffer or the earlier
    results in between, is removed and its results replaced by the earlier
    ones: q/k/v and gate/up projections share one quantization.
  }];
}

#endif // TERN_COMPILER_TRANSFORMS_PASSES_TD
