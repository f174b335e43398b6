// tern-lower-model on a GPU target: each task of a model op is a block of
// 128 threads that deal the columns out in turn, reduce across each warp by
// xor shuffles and across warps in shared memory; tern-outline-parallel
// makes each block loop a kernel and a launch of one block per task; the
// kernels alone (tern-extract-gpu-kernels) become PTX that ptxas assembles.
// The same form lowered for a CPU with emulate-gpu-blocks runs the threads
// in loops, with the butterfly's order of additions.
// RUN: tern-opt %s --tern-lower-model --canonicalize | FileCheck %s --check-prefix=BLOCKS
// RUN: tern-opt %s --tern-lower-model --canonicalize --tern-outline-parallel --canonicalize | FileCheck %s --check-prefix=LAUNCH
// RUN: tern-opt %s --tern-lower-model --tern-outline-parallel --tern-extract-gpu-kernels --tern-lower-to-llvm \
// RUN:   | mlir-translate --mlir-to-llvmir | llc -mtriple=nvptx64-nvidia-cuda -mcpu=sm_90 -mattr=+ptx80 -o %t.ptx
// RUN: FileCheck %s --check-prefix=PTX < %t.ptx
// RUN: %if ptxas %{ %ptxas -arch=sm_90 %t.ptx -o %t.cubin %}
// RUN: sed -e 's/nvptx64-nvidia-cuda/x86_64-unknown-linux-gnu/' -e 's/sm_90/x86-64-v3/' %s \
// RUN:   | tern-opt --tern-lower-model="emulate-gpu-blocks=64" --canonicalize | FileCheck %s --check-prefix=EMULATED

module attributes {tern.target = #llvm.target<triple = "nvptx64-nvidia-cuda", chip = "sm_90", features = <["+ptx80"]>>} {

// BLOCKS-LABEL: func.func @norm(
// BLOCKS:         scf.parallel
// BLOCKS:           %[[TID:.*]] = nvvm.read.ptx.sreg.tid.x
// BLOCKS:           %[[FIRST:.*]] = arith.index_castui %[[TID]]
// BLOCKS:           scf.for %{{.*}} = %[[FIRST]] to %c40 step %c128 iter_args(%{{.*}}) -> (f64)
// BLOCKS-COUNT-10:  nvvm.shfl.sync  bfly
// BLOCKS:           memref.get_global @tern_block_partials_4xf64 : memref<4xf64, 3>
// BLOCKS:           scf.if
// BLOCKS:             memref.store
// BLOCKS:           nvvm.barrier0
// BLOCKS:           scf.for %{{.*}} = %c0 to %c4 step %c1
// BLOCKS:           nvvm.barrier0
// BLOCKS:           math.sqrt
// BLOCKS:         } {tern.block_threads = 128 : i64}

// LAUNCH-LABEL: func.func @norm(
// LAUNCH:         tern.gpu_launch @norm_kernel blocks(%{{.*}}) threads(128) runtime(%arg0) args(%arg1, %arg2, %arg3 :
// LAUNCH-LABEL: func.func @norm_kernel(
// LAUNCH-SAME:    attributes {tern.gpu_kernel = 128 : i64}
// LAUNCH:         nvvm.read.ptx.sreg.ctaid.x

// PTX: .shared .align 16 .b8 tern_block_partials_4xf64[32];
// PTX: .visible .entry norm_kernel(
// PTX: .reqntid 128, 1, 1
// PTX: shfl.sync.bfly.b32
// PTX: bar.sync 0;
// PTX: sqrt.rn.f64

// EMULATED-LABEL: func.func @norm(
// EMULATED:         scf.parallel
// EMULATED:           %[[SUMS:.*]] = memref.alloca() : memref<64xf64>
// EMULATED:           scf.for %[[T:.*]] = %c0 to %c64 step %c1
// EMULATED:             scf.for %{{.*}} = %[[T]] to %c40 step %c64 iter_args
// EMULATED:             memref.store %{{.*}}, %[[SUMS]][%[[T]]]
// EMULATED:           scf.for %[[W:.*]] = %c0 to %c2 step %c1
// EMULATED:             scf.for %{{.*}} = %c0 to %c16 step %c1
// EMULATED-NOT:     nvvm
func.func @norm(%rt: !llvm.ptr {tern.runtime_context}, %x: memref<?x40xf32>, %g: memref<40xbf16>, %y: memref<?x40xf32>) {
  tern.rms_norm ins(%x, %g : memref<?x40xf32>, memref<40xbf16>) outs(%y : memref<?x40xf32>) {epsilon = 1.0e-5 : f32}
  return
}

// Rope without libm: sines and cosines as polynomials.
// BLOCKS-LABEL: func.func @rope(
// BLOCKS-NOT:     math.sin
// BLOCKS:         scf.parallel
// BLOCKS:           math.roundeven {{.*}} : f64
// BLOCKS-NOT:     math.cos
// BLOCKS:         } {tern.block_threads = 128 : i64}
// PTX: .visible .entry rope_kernel(
func.func @rope(%rt: !llvm.ptr {tern.runtime_context}, %x: memref<?x32xf32>, %p: index) {
  tern.rope ins(%x, %p : memref<?x32xf32>) outs(%x : memref<?x32xf32>) {head_dim = 16 : i64, theta = 10000.0 : f32}
  return
}

// Attention: the cache append, then one block per (row, query head) with its
// scores in shared memory.
// LAUNCH-LABEL: func.func @attention(
// LAUNCH:         tern.gpu_launch @attention_kernel blocks(
// LAUNCH:         arith.muli %{{.*}}, %c4 : index
// LAUNCH:         tern.gpu_launch @attention_kernel_{{[0-9]+}} blocks(%{{.*}}) threads(128)
// PTX: .visible .entry attention_kernel_{{[0-9]+}}(
// PTX:   .shared .align 16 .b8 tern_attention_scores_64xf64[512];
func.func @attention(%rt: !llvm.ptr {tern.runtime_context}, %q: memref<?x32xf32>, %k: memref<?x16xf32>, %v: memref<?x16xf32>, %kc: memref<2x64x8xf16>, %vc: memref<2x64x8xf16>, %p: index, %o: memref<?x32xf32>) {
  tern.attention ins(%q, %k, %v, %kc, %vc, %p : memref<?x32xf32>, memref<?x16xf32>, memref<?x16xf32>, memref<2x64x8xf16>, memref<2x64x8xf16>) outs(%o : memref<?x32xf32>) {head_dim = 8 : i64, num_heads = 4 : i64, num_kv_heads = 2 : i64}
  return
}

// PTX: .visible .entry head_kernel
func.func @head(%rt: !llvm.ptr {tern.runtime_context}, %x: memref<?x32xf32>, %t: memref<100x32xbf16>, %l: memref<?x100xf32>, %tok: memref<?xi32>, %e: memref<?x32xf32>) {
  tern.embed ins(%t, %tok : memref<100x32xbf16>, memref<?xi32>) outs(%e : memref<?x32xf32>)
  tern.relu2 ins(%e : memref<?x32xf32>) outs(%e : memref<?x32xf32>)
  tern.lm_head ins(%x, %t : memref<?x32xf32>, memref<100x32xbf16>) outs(%l : memref<?x100xf32>)
  return
}
}
