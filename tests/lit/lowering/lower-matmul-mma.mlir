// tern-lower-matmul with the mma strategy and no GPU target: each warp's 32
// threads run in loops, and its tensor-core steps are computed from the
// fragments the threads load.
// RUN: tern-opt %s --tern-lower-matmul --canonicalize | FileCheck %s

// Two blocks of 16 output rows, each one warp of two 8-row weight tiles and
// one 16-row activation tile; K = 128 is four steps of 32, two a loop
// iteration. Per block: the warp's sums (2 tiles x 4 per thread), its A
// fragments (4 words per thread) and B fragments (2 per weight tile).
// CHECK-LABEL: func.func @warps_in_loops(
// CHECK-SAME:    %[[Y:[^:]*]]: memref<?x32xf32>)
// CHECK-NOT:     nvvm.
// CHECK:         scf.parallel
// CHECK:           %[[SUMS:.*]] = memref.alloca() : memref<32x8xi32>
// CHECK:           %[[A:.*]] = memref.alloca() : memref<32x4xi32>
// CHECK:           %[[B:.*]] = memref.alloca() : memref<32x4xi32>
// CHECK:           scf.for %{{.*}} = %c0 to %{{.*}} step %c16 {
// The threads' sums start at zero; then per two K steps each thread loads
// its fragments, planes unpacked into signed bytes by a xor with 0x80808080.
// CHECK:             scf.for %{{.*}} = %c0 to %c32 step %c1 {
// CHECK:               memref.store %c0_i32, %[[SUMS]]
// CHECK:             scf.for %{{.*}} = %c0 to %c4 step %c2 {
// CHECK:               scf.for %{{.*}} = %c0 to %c32 step %c1 {
// CHECK:                 memref.store %{{.*}}, %[[A]]
// CHECK:                 arith.xori %{{.*}}, %c-2139062144_i32 : i32
// CHECK:                 memref.store %{{.*}}, %[[B]]
// Each sum of a thread is a dot product over the 32 K values of the step,
// gathered from the other threads' fragments.
// CHECK:               scf.for %{{.*}} = %c0 to %c32 step %c1 {
// CHECK:                 scf.for %{{.*}} = %c0 to %c32 step %c1 iter_args(%{{.*}} = %c0_i32) -> (i32) {
// CHECK:                   memref.load %[[A]]
// CHECK:                   memref.load %[[B]]
// CHECK:                   arith.muli
// Then every thread stores its sums, scaled, where they exist.
// CHECK:             scf.for %{{.*}} = %c0 to %c32 step %c1 {
// CHECK:               memref.load %[[SUMS]]
// CHECK:               arith.divf
// CHECK:               memref.store %{{.*}}, %[[Y]]
func.func @warps_in_loops(%a: memref<?x128xi8>, %as: memref<?xf32>, %w: !tern.ternary<32x128, #tern.packing<i2>>,
                          %ws: f32, %y: memref<?x32xf32>) {
  tern.matmul ins(%a, %as, %w, %ws : memref<?x128xi8>, memref<?xf32>, !tern.ternary<32x128, #tern.packing<i2>>, f32)
              outs(%y : memref<?x32xf32>) {kernel = #tern.kernel<mma, lanes = 8, tile_n = 16, tile_m = 1, unroll_k = 2, streams = 2>}
  return
}
