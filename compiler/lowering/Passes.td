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
                           "mlir::LLVM::LLVMDialect", "mlir::NVVM::NVVMDialect",
                           "mlir::amx::AMXDialect"];
}

def TernLowerVectorOps : Pass<"tern-lower-vector-ops", "mlir::ModuleOp"> {
  let summary = "Lower tern.vdot and tern.lookup16 to the target's instructions";
  let description = [{
    Uses the patterns of the module's target (its `tern.target` attribute):
    vpdpbusd or vpmaddubsw+vpmaddwd and pshufb on x86, sdot and tbl on
    AArch64. What they do not cover becomes generic vector arithmetic
    (widening multiply-adds; a select per table entry).
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
    Fixed-size `memref.alloca`s of the body move to the function's entry:
    each thread reuses one buffer for all its iterations.

    A loop marked `tern.block_threads` (GPU blocks, from tern-lower-model on
    a GPU target) becomes a kernel `(captures...)` whose block x runs
    iteration x, and a `tern.gpu_launch` of one block per iteration.
  }];
  let dependentDialects = ["mlir::arith::ArithDialect", "mlir::func::FuncDialect",
                           "mlir::scf::SCFDialect", "mlir::NVVM::NVVMDialect"];
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

def TernBindWeights : Pass<"tern-bind-weights", "mlir::ModuleOp"> {
  let summary = "Turn placed tern.weight ops into views of the weights buffer";
  let description = [{
    Every `tern.weight` must carry its `offset` (and `stride` with a layer
    operand); it becomes a view at `weights + offset + layer * stride`, where
    `weights` is the enclosing function's argument marked `tern.weights`.
  }];
  let dependentDialects = ["mlir::arith::ArithDialect", "mlir::LLVM::LLVMDialect"];
}

def TernLowerModel : Pass<"tern-lower-model", "mlir::ModuleOp"> {
  let summary = "Lower the model-level tern ops to loops over vectors";
  let description = [{
    tern.embed, tern.rms_norm, tern.quantize, tern.rope, tern.attention,
    tern.relu2, tern.mul, tern.add and tern.lm_head become `scf.parallel`
    loops (over rows, heads or vocabulary entries) of vector arithmetic in
    the module target's vector width; exponentials become polynomial
    approximations.

    On GPU targets each task of a parallel loop is a block of threads
    (`tern.block_threads` on the loop) that share its elements and reduce
    them by warp shuffles and shared memory. `emulate-gpu-blocks=T` lowers
    for a CPU target in that form, the blocks' T threads run in loops in the
    GPU's order of operations: how the GPU kernels are tested on the host.
  }];
  let options = [
    Option<"emulateGpuBlocks", "emulate-gpu-blocks", "int64_t", /*default=*/"0",
           "On a CPU target, lower as GPU blocks of this many threads (a multiple of 32) "
           "run in loops; 0: vector loops">,
  ];
  let dependentDialects = ["mlir::arith::ArithDialect", "mlir::math::MathDialect",
                           "mlir::memref::MemRefDialect", "mlir::scf::SCFDialect",
                           "mlir::vector::VectorDialect", "mlir::NVVM::NVVMDialect"];
}

def TernOutlineGpuMatmuls : Pass<"tern-outline-gpu-matmuls", "mlir::ModuleOp"> {
  let summary = "Make each matmul of a GPU model's host functions a kernel and a launch";
  let description = [{
    Each `tern.matmul` outside a GPU kernel becomes a kernel function
    (`tern.gpu_kernel`) holding just it, and a `tern.gpu_launch` with the
    kernel's geometry: its blocks of output rows along x, its tiles of
    activation rows along y. A weight scale loaded from memory is loaded in
    the kernel. The weights must be views of a pointer (tern-bind-weights).
  }];
  let dependentDialects = ["mlir::arith::ArithDialect", "mlir::func::FuncDialect",
                           "mlir::memref::MemRefDialect"];
}

def TernExtractGpuKernels : Pass<"tern-extract-gpu-kernels", "mlir::ModuleOp"> {
  let summary = "Keep only the GPU kernels of a module (or only its host functions)";
  let description = [{
    The device half of a model lowered for a GPU: functions marked
    `tern.gpu_kernel` (from tern-outline-parallel and tern-outline-gpu-matmuls)
    stay, host functions and the globals only they used go. With `host`, the
    other half: the functions that launch the kernels.
  }];
  let options = [
    Option<"host", "host", "bool", /*default=*/"false",
           "Keep the host functions instead of the kernels">,
  ];
}

def TernPlanBuffers : Pass<"tern-plan-buffers", "mlir::ModuleOp"> {
  let summary = "Place every activation buffer in the caller's scratch arena";
  let description = [{
    In each function with an argument marked `tern.scratch`, every
    `memref.alloc` (all of one dynamic row count, or static) becomes a view
    of the scratch memory at an offset of the form `a * rows + b`, 64-byte
    aligned; its deallocations disappear. The function records the arena it
    needs as `tern.scratch_bytes_per_row` and `tern.scratch_bytes_fixed`.
  }];
  let dependentDialects = ["mlir::arith::ArithDialect", "mlir::LLVM::LLVMDialect"];
}

#endif // TERN_COMPILER_LOWERING_PASSES_TD
