// tern-share-quantize: q/k/v read one quantization of their input; a write
// to the input in between keeps the second quantization.
// RUN: tern-opt %s --tern-share-quantize | FileCheck %s

#k = #tern.kernel<mfree, lanes = 8, tile_n = 8, tile_m = 1, unroll_k = 1>

// CHECK-LABEL: func.func @shared(
// CHECK:         tern.quantize
// CHECK:         tern.matmul ins(%[[Q:.*]], %[[S:.*]], %{{.*}}, %{{.*}} :
// CHECK-NOT:     tern.quantize
// CHECK:         tern.matmul ins(%[[Q]], %[[S]], %{{.*}}, %{{.*}} :
func.func @shared(%x: memref<1x32xf32>, %w: !tern.ternary<8x32, #tern.packing<i2>>, %s: f32,
                  %y1: memref<1x8xf32>, %y2: memref<1x8xf32>) {
  %q1 = memref.alloc() : memref<1x32xi8>
  %s1 = memref.alloc() : memref<1xf32>
  tern.quantize ins(%x : memref<1x32xf32>) outs(%q1, %s1 : memref<1x32xi8>, memref<1xf32>)
  tern.matmul ins(%q1, %s1, %w, %s : memref<1x32xi8>, memref<1xf32>, !tern.ternary<8x32, #tern.packing<i2>>, f32) outs(%y1 : memref<1x8xf32>) {kernel = #k}
  %q2 = memref.alloc() : memref<1x32xi8>
  %s2 = memref.alloc() : memref<1xf32>
  tern.quantize ins(%x : memref<1x32xf32>) outs(%q2, %s2 : memref<1x32xi8>, memref<1xf32>)
  tern.matmul ins(%q2, %s2, %w, %s : memref<1x32xi8>, memref<1xf32>, !tern.ternary<8x32, #tern.packing<i2>>, f32) outs(%y2 : memref<1x8xf32>) {kernel = #k}
  return
}

// CHECK-LABEL: func.func @written_between(
// CHECK:         tern.quantize
// CHECK:         tern.add
// CHECK:         tern.quantize
func.func @written_between(%x: memref<1x32xf32>, %w: !tern.ternary<8x32, #tern.packing<i2>>, %s: f32,
                           %y1: memref<1x8xf32>, %y2: memref<1x8xf32>) {
  %q1 = memref.alloc() : memref<1x32xi8>
  %s1 = memref.alloc() : memref<1xf32>
  tern.quantize ins(%x : memref<1x32xf32>) outs(%q1, %s1 : memref<1x32xi8>, memref<1xf32>)
  tern.matmul ins(%q1, %s1, %w, %s : memref<1x32xi8>, memref<1xf32>, !tern.ternary<8x32, #tern.packing<i2>>, f32) outs(%y1 : memref<1x8xf32>) {kernel = #k}
  tern.add ins(%x, %x : memref<1x32xf32>, memref<1x32xf32>) outs(%x : memref<1x32xf32>)
  %q2 = memref.alloc() : memref<1x32xi8>
  %s2 = memref.alloc() : memref<1xf32>
  tern.quantize ins(%x : memref<1x32xf32>) outs(%q2, %s2 : memref<1x32xi8>, memref<1xf32>)
  tern.matmul ins(%q2, %s2, %w, %s : memref<1x32xi8>, memref<1xf32>, !tern.ternary<8x32, #tern.packing<i2>>, f32) outs(%y2 : memref<1x8xf32>) {kernel = #k}
  return
}
