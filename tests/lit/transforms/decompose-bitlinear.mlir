// tern-decompose-bitlinear: quantize into new buffers, then the kernel's matmul.
// RUN: tern-opt %s -split-input-file --tern-decompose-bitlinear -verify-diagnostics | FileCheck %s

// CHECK-LABEL: func.func @split(
// CHECK-SAME:    %[[X:.*]]: memref<?x32xf32>, %[[W:.*]]: !tern.ternary<64x32, #tern.packing<i2>>, %[[S:.*]]: f32, %[[Y:.*]]: memref<?x64xf32>)
// CHECK:         %[[ROWS:.*]] = memref.dim %[[X]], %c0
// CHECK:         %[[Q:.*]] = memref.alloc(%[[ROWS]]) : memref<?x32xi8>
// CHECK:         %[[SCALES:.*]] = memref.alloc(%[[ROWS]]) : memref<?xf32>
// CHECK:         tern.quantize ins(%[[X]] : memref<?x32xf32>) outs(%[[Q]], %[[SCALES]] : memref<?x32xi8>, memref<?xf32>)
// CHECK:         tern.matmul ins(%[[Q]], %[[SCALES]], %[[W]], %[[S]] : {{.*}}) outs(%[[Y]] : memref<?x64xf32>) {kernel = #tern.kernel<mfree, lanes = 8, tile_n = 16, tile_m = 4, unroll_k = 1>}
// CHECK-NOT:     tern.bitlinear
func.func @split(%x: memref<?x32xf32>, %w: !tern.ternary<64x32, #tern.packing<i2>>, %s: f32, %y: memref<?x64xf32>) {
  tern.bitlinear ins(%x, %w, %s : memref<?x32xf32>, !tern.ternary<64x32, #tern.packing<i2>>, f32) outs(%y : memref<?x64xf32>)
      {kernel = #tern.kernel<mfree, lanes = 8, tile_n = 16, tile_m = 4, unroll_k = 1>}
  return
}

// -----

func.func @unassigned(%x: memref<1x32xf32>, %w: !tern.ternary<64x32, #tern.packing<i2>>, %s: f32, %y: memref<1x64xf32>) {
  // expected-error @+1 {{has no kernel; run tern-assign-kernels first}}
  tern.bitlinear ins(%x, %w, %s : memref<1x32xf32>, !tern.ternary<64x32, #tern.packing<i2>>, f32) outs(%y : memref<1x64xf32>)
  return
}
