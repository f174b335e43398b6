// tern-outline-gpu-matmuls: on a GPU target a host function's matmul
// becomes a kernel of its own (the weights a pointer, the scale loaded in the
// kernel) and a launch of its geometry: blocks of tile_n = 64 rows (8 warps
// of 8 rows) along x, tiles of tile_m = 2 activation rows along y.
// RUN: tern-opt %s --tern-outline-gpu-matmuls --canonicalize | FileCheck %s

module attributes {tern.target = #llvm.target<triple = "nvptx64-nvidia-cuda", chip = "sm_80", features = <["+ptx80"]>>} {
// CHECK-LABEL: func.func @decode(
// CHECK-SAME:    %[[RT:[^:]+]]: !llvm.ptr {tern.runtime_context}, %[[W:[^:]+]]: !llvm.ptr, %[[A:[^:]+]]: memref<?x256xi8>, %[[AS:[^:]+]]: memref<?xf32>, %[[Y:[^:]+]]: memref<?x256xf32>
// CHECK:         %[[SCALE:.*]] = tern.buffer_from_ptr %{{.*}} : memref<1xf32>
// CHECK:         %[[ROWS:.*]] = memref.dim %[[A]], %c0
// CHECK:         %[[ROUNDED:.*]] = arith.addi %[[ROWS]], %c1 : index
// CHECK:         %[[TILES:.*]] = arith.divui %[[ROUNDED]], %c2 : index
// CHECK:         tern.gpu_launch @decode_matmul blocks(%c4, %[[TILES]]) threads(256) runtime(%[[RT]]) args(%[[A]], %[[AS]], %[[W]], %[[SCALE]], %c0, %[[Y]] :
// CHECK-NOT:     tern.matmul
// CHECK-LABEL: func.func @decode_matmul(
// CHECK-SAME:    attributes {tern.gpu_kernel = 256 : i64}
// CHECK:         %[[WEIGHTS:.*]] = tern.buffer_from_ptr %arg2 : !tern.ternary<256x256, #tern.packing<i2>>
// CHECK:         %[[S:.*]] = memref.load %arg3[%arg4] : memref<1xf32>
// CHECK:         tern.matmul ins(%arg0, %arg1, %[[WEIGHTS]], %[[S]] :
func.func @decode(%rt: !llvm.ptr {tern.runtime_context}, %wp: !llvm.ptr, %a: memref<?x256xi8>, %as: memref<?xf32>, %y: memref<?x256xf32>, %sp: !llvm.ptr) {
  %c0 = arith.constant 0 : index
  %w = tern.buffer_from_ptr %wp : !tern.ternary<256x256, #tern.packing<i2>>
  %sm = tern.buffer_from_ptr %sp : memref<1xf32>
  %s = memref.load %sm[%c0] : memref<1xf32>
  tern.matmul ins(%a, %as, %w, %s : memref<?x256xi8>, memref<?xf32>, !tern.ternary<256x256, #tern.packing<i2>>, f32) outs(%y : memref<?x256xf32>) {kernel = #tern.kernel<simt, lanes = 8, tile_n = 64, tile_m = 2, unroll_k = 1, streams = 4>}
  return
}
}
