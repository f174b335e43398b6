//===- Passes.td - passes that lower tern to LLVM -----------*- tablegen -*-===//
#ifndef TERN_COMPILER_LOWERING_PASSES_TD
#define TERN_COMPILER_LOWERING_PASSES_TD

include "mlir/Pass/PassBase.td"

def TernLowerMatmul : Pass<"tern-lower-matmul", "mlir::ModuleOp"> {
  let summary = "Lower tern.matmul to loops, vectors and tern.vdot, per strategy";
  let description = [{
    Every `tern.matmul` becomes the loop nest of its `#tern.kernel` strategy
    (compiler/lowering/<strategy>/): an `scf.parallel` over blocks of output
    rows, register tiles of activation rows, vector loads of the packed
    weights and `tern.vdot` steps. Packed `!tern.ternary` values become
    `!llvm.ptr` to their bytes, in function signatures too.
  }];
  let dependentDialects = ["mlir::arith::ArithDialect", "mlir::scf::SCFDialect",
                           "mlir::vector::VectorDialect", "mlir::memref::MemRefDialect",
                           "mlir::LLVM::LLVMDialect"];
}

def TernLowerVdot : Pass<"tern-lower-vdot", "mlir::ModuleOp"> {
  let summary = "Lower tern.vdot to the target's dot-product instructions";
  let description = [{
    Uses the patterns of the module's target (its `tern.target` attribute):
    vpdpbusd or vpmaddubsw+vpmaddwd on x86, sdot on AArch64. What they do
    not cover becomes generic widening multiply-adds.
  }];
  let dependentDialects = ["mlir::arith::ArithDialect", "mlir::vector::VectorDialect",
                           "mlir::LLVM::LLVMDialect", "mlir::arm_neon::ArmNeonDialect"];
}

def TernOutlineParallel : Pass<"tern-outline-parallel", "mlir::ModuleOp"> {
  let summary = "Outline scf.parallel loops into functions the runtime runs on its threads";
  let description = [{
    Each outermost one-dimensional `scf.parallel` without reductions becomes a
    private function `(begin, end, captures...)` looping over its share of the
    iterations, and a `tern.parallel_dispatch` to it. The enclosing function
    must have an `!llvm.ptr` argument marked `tern.runtime_context`.
  }];
  let dependentDialects = ["mlir::arith::ArithDialect", "mlir::func::FuncDialect",
                           "mlir::scf::SCFDialect"];
}

def TernConvertToLLVM : Pass<"tern-convert-to-llvm", "mlir::ModuleOp"> {
  let summary = "Convert tern kernel ops and the upstream dialects to the LLVM dialect";
  let description = [{
    The upstream arith, cf, func, memref, vector, math and ub conversions, plus
    `tern.buffer_from_ptr` (a memref descriptor over a C pointer) and
    `tern.parallel_dispatch` (a closure struct, a trampoline and a call to
    `tern_parallel_for`).
  }];
  let dependentDialects = ["mlir::LLVM::LLVMDialect"];
}

#endif // TERN_COMPILER_LOWERING_PASSES_TD
