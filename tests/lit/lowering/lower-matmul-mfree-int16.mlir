// tern-lower-matmul with the mfree strategy on a target whose int32 dot
// product takes two multiplies (AVX2 without VNNI).
// RUN: tern-opt %s --tern-lower-matmul --canonicalize | FileCheck %s

// K = 528 is 33 chunks of 16: two runs of 16 chunks (64 int16 vdot steps,
// the most that cannot overflow) in a loop, then a run of the last chunk.
// Each run starts from zeroed int16 pair sums and ends by adding them into
// the int32 sums with tern.add_pairs.
// CHECK-LABEL: func.func @int16_runs(
// CHECK:         scf.for %{{.*}} = %c0 to %c2 step %c1 iter_args(%{{.*}} = %{{.*}}) -> (vector<8xi32>)
// CHECK:           scf.for %{{.*}} = %c0 to %c16 step %c1 iter_args(%{{.*}} = %{{.*}}) -> (vector<16xi16>)
// CHECK-COUNT-4:     tern.vdot %{{.*}}, %{{.*}}, %{{.*}} {lhs_max = 2 : i64} : vector<16xi16>, vector<32xi8>
// CHECK:           tern.add_pairs %{{.*}}, %{{.*}} : vector<8xi32>, vector<16xi16>
// CHECK:         tern.vdot %{{.*}}, %{{.*}}, %{{.*}} {lhs_max = 2 : i64} : vector<16xi16>, vector<32xi8>
// CHECK:         tern.add_pairs %{{.*}}, %{{.*}} : vector<8xi32>, vector<16xi16>
module attributes {tern.target = #llvm.target<triple = "x86_64-unknown-linux-gnu", chip = "haswell",
                   features = <["+avx2", "+ssse3"]>>} {
  func.func @int16_runs(%a: memref<?x528xi8>, %as: memref<?xf32>, %w: !tern.ternary<8x528, #tern.packing<i2>>,
                        %ws: f32, %y: memref<?x8xf32>) {
    tern.matmul ins(%a, %as, %w, %ws : memref<?x528xi8>, memref<?xf32>, !tern.ternary<8x528, #tern.packing<i2>>, f32)
                outs(%y : memref<?x8xf32>) {kernel = #tern.kernel<mfree, lanes = 8, tile_n = 8, tile_m = 1, unroll_k = 1>}
    return
  }
}
