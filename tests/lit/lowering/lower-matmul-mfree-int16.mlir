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
// Prefill over a decoded panel larger than 64 KiB (K x tile_n = 4112 x 16
// bytes) goes a 24 KiB slice of K at a time: 96 chunks (6 int16 runs), so
// that the slice stays in L1 while every tile of a group of 16 tiles (48
// rows) uses it. The tiles' int32 sums wait between slices in a zeroed stack
// buffer; two full slices, then the last 65 chunks, then the epilogue reads
// the sums back.
// CHECK-LABEL: func.func @panel_slices(
// CHECK:         %[[PANEL:.*]] = memref.alloca() {alignment = 64 : i64} : memref<2056x32xi8>
// CHECK:         %[[SUMS:.*]] = memref.alloca() {alignment = 64 : i64} : memref<96x8xi32>
// CHECK:         scf.for %[[G0:.*]] = %c0 to %{{.*}} step %c48
// CHECK:           scf.for %[[I:.*]] = %c0 to %c96 step %c1
// CHECK:             vector.store %{{.*}}, %[[SUMS]][%[[I]], %c0]
// CHECK:           scf.for %{{.*}} = %c0 to %c2 step %c1
// CHECK:             scf.for %{{.*}} = %[[G0]] to %{{.*}} step %c3
// CHECK-COUNT-6:       vector.load %[[SUMS]]
// CHECK:               scf.for %{{.*}} = %c0 to %c6 step %c1 iter_args
// CHECK:                 scf.for %{{.*}} = %c0 to %c16 step %c1 iter_args
// CHECK:                   vector.load %[[PANEL]]
// CHECK-COUNT-6:       vector.store %{{.*}}, %[[SUMS]]
// CHECK:           scf.for %{{.*}} = %[[G0]] to %{{.*}} step %c3
// CHECK:             scf.for %{{.*}} = %c0 to %c4 step %c1 iter_args
// CHECK:           scf.for %{{.*}} = %[[G0]] to %{{.*}} step %c3
// CHECK-COUNT-6:     vector.load %[[SUMS]]
// CHECK:             arith.divf
module attributes {tern.target = #llvm.target<triple = "x86_64-unknown-linux-gnu", chip = "haswell",
                   features = <["+avx2", "+ssse3"]>>} {
  func.func @int16_runs(%a: memref<?x528xi8>, %as: memref<?xf32>, %w: !tern.ternary<8x528, #tern.packing<i2>>,
                        %ws: f32, %y: memref<?x8xf32>) {
    tern.matmul ins(%a, %as, %w, %ws : memref<?x528xi8>, memref<?xf32>, !tern.ternary<8x528, #tern.packing<i2>>, f32)
                outs(%y : memref<?x8xf32>) {kernel = #tern.kernel<mfree, lanes = 8, tile_n = 8, tile_m = 1, unroll_k = 1>}
    return
  }
  func.func @panel_slices(%a: memref<?x4112xi8>, %as: memref<?xf32>, %w: !tern.ternary<16x4112, #tern.packing<i2>>,
                          %ws: f32, %y: memref<?x16xf32>) {
    tern.matmul ins(%a, %as, %w, %ws : memref<?x4112xi8>, memref<?xf32>, !tern.ternary<16x4112, #tern.packing<i2>>, f32)
                outs(%y : memref<?x16xf32>) {kernel = #tern.kernel<mfree, lanes = 8, tile_n = 16, tile_m = 3, unroll_k = 1>}
    return
  }
}
