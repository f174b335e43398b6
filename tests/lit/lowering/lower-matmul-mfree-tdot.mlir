// tern-lower-matmul with the mfree strategy for a machine whose description
// declares a ternary dot product: packed bytes go to tern.tdot as they are,
// with no decoding and no row sums.
// RUN: tern-opt %s --tern-lower-matmul --canonicalize | FileCheck %s

// K = 20: one full chunk of 16 (four planes), then one plane of 4.
// CHECK-LABEL: func.func @ternary_dot(
// CHECK-SAME:    %[[A:.*]]: memref<?x20xi8>
// CHECK-NOT:     memref.alloca
// CHECK-NOT:     tern.vdot
// CHECK:         scf.parallel
// CHECK:           llvm.load %{{.*}} -> vector<64xi8>
// CHECK:           vector.load %[[A]][%{{.*}}, %{{.*}}] : memref<?x20xi8>, vector<16xi8>
// CHECK:           tern.tdot %{{.*}}, %{{.*}}, %{{.*}} {packing = #tern.packing<i2>} : vector<16xi32>, vector<64xi8>, vector<16xi8>
// CHECK:           vector.load %[[A]][%{{.*}}, %{{.*}}] : memref<?x20xi8>, vector<4xi8>
// CHECK:           tern.tdot %{{.*}}, %{{.*}}, %{{.*}} {packing = #tern.packing<i2>} : vector<16xi32>, vector<64xi8>, vector<4xi8>
// CHECK-NOT:     arith.subi
// CHECK:           arith.sitofp
module attributes {tern.target = #llvm.target<triple = "x86_64-unknown-linux-gnu", chip = "x86-64-v4",
                   features = <["+avx2", "+avx512f", "+avx512bw", "+avx512vl", "+avx512vnni"]>>,
                   tern.ternary_dot} {
  func.func @ternary_dot(%a: memref<?x20xi8>, %as: memref<?xf32>, %w: !tern.ternary<48x20, #tern.packing<i2>>,
                         %ws: f32, %y: memref<?x48xf32>) {
    tern.matmul ins(%a, %as, %w, %ws : memref<?x20xi8>, memref<?xf32>, !tern.ternary<48x20, #tern.packing<i2>>, f32)
                outs(%y : memref<?x48xf32>) {kernel = #tern.kernel<mfree, lanes = 16, tile_n = 16, tile_m = 1, unroll_k = 1>}
    return
  }
}
