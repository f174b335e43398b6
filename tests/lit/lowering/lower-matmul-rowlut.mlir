// tern-lower-matmul with the rowlut strategy on idx3 weights.
// RUN: tern-opt %s --tern-lower-matmul --canonicalize | FileCheck %s

// N = 14 in register tiles of 4 rows (the last one ragged), 2 tasks of 2
// tiles. K = 20 is 7 groups of 3 (the last one partial) in slabs of 4
// (unroll_k = 1): a slab of 4 and one of 3.
// CHECK-LABEL: func.func @ragged(
// CHECK-SAME:    %[[A:.*]]: memref<?x20xi8>, %{{.*}}: memref<?xf32>, %[[W:.*]]: !llvm.ptr, %{{.*}}: f32, %[[Y:.*]]: memref<?x14xf32>)
// The activations in panels of 32 rows, transposed into int16 lanes, in
// parallel over panels (and chunks of columns: one here). Columns 0-15 (inside
// K) as two 16 x 16 byte matrices: 32 row loads, four rounds of pairwise
// shuffles (the first interleaves neighbouring bytes), the halves joined and
// widened; columns 16-20 (of 21: 7 groups) one at a time:
// CHECK:         %[[PANELS:.*]] = arith.divui %{{.*}}, %c32 : index
// CHECK:         %[[T:.*]] = memref.alloc(%{{.*}}) {alignment = 64 : i64} : memref<?x32xi16>
// CHECK:         scf.parallel (%{{.*}}) = (%c0) to (%[[PANELS]]) step (%c1)
// CHECK-COUNT-32:  vector.load %[[A]][%{{.*}}, %c0] : memref<?x20xi8>, vector<16xi8>
// CHECK:           vector.shuffle %{{.*}}, %{{.*}} [0, 16, 2, 18, 4, 20, 6, 22, 8, 24, 10, 26, 12, 28, 14, 30] : vector<16xi8>, vector<16xi8>
// CHECK:           vector.shuffle %{{.*}}, %{{.*}} [1, 17, 3, 19, 5, 21, 7, 23, 9, 25, 11, 27, 13, 29, 15, 31] : vector<16xi8>, vector<16xi8>
// CHECK:           arith.extsi %{{.*}} : vector<32xi8> to vector<32xi16>
// CHECK:           vector.store %{{.*}}, %[[T]]
// CHECK:           scf.for %[[COL:.*]] = %c16 to %c21 step %c1
// CHECK:             memref.load %[[A]][%{{.*}}, %{{.*}}] : memref<?x20xi8>
// CHECK:             arith.extsi %{{.*}} : i8 to i16
// CHECK:             vector.from_elements {{.*}} : vector<32xi16>
// CHECK:             vector.store %{{.*}}, %[[T]]
// Two tasks, each with its int16 and int32 sums and one slab's tables
// (4 groups x 27 codes x 32 lanes), running every panel:
// CHECK:         scf.parallel (%{{.*}}) = (%c0) to (%c2) step (%c1)
// CHECK:           %[[NARROW:.*]] = memref.alloca() {alignment = 64 : i64} : memref<8x32xi16>
// CHECK:           %[[WIDE:.*]] = memref.alloca() {alignment = 64 : i64} : memref<8x32xi32>
// CHECK:           %[[TABLES:.*]] = memref.alloca() {alignment = 64 : i64} : memref<3456xi16>
// CHECK:           memref.extract_aligned_pointer_as_index %[[TABLES]]
// CHECK:           scf.for %{{.*}} = %c0 to %[[PANELS]] step %c1
// The first slab's tables: 3 columns of the panel, 27 entries.
// CHECK:             scf.for %{{.*}} = %c0 to %c4 step %c1
// CHECK-COUNT-3:       vector.load %[[T]]
// CHECK-COUNT-27:      vector.store %{{.*}}, %[[TABLES]]
// Each register tile: a weight byte per row and group, its entry (at 8 x
// the byte from the group's tables, a pointer carried by the loop) added
// whole.
// CHECK:             scf.for
// CHECK:               scf.for %{{.*}} = %c0 to %c4 step %c1 iter_args({{.*}}, %[[TABLE:.*]] = %{{.*}}) -> (vector<32xi16>, vector<32xi16>, vector<32xi16>, vector<32xi16>, !llvm.ptr)
// CHECK-NOT:             arith.muli %{{.*}} : vector
// CHECK:                 %[[BYTE:.*]] = llvm.load %{{.*}} {alignment = 1 : i64} : !llvm.ptr -> i8
// CHECK:                 %[[CODE:.*]] = arith.extui %[[BYTE]] : i8 to i64
// CHECK:                 %[[OFFSET:.*]] = arith.muli %[[CODE]], %c8_i64 : i64
// CHECK:                 %[[ENTRY:.*]] = llvm.getelementptr %[[TABLE]][%[[OFFSET]]]
// CHECK:                 %[[LOOKED:.*]] = llvm.load %[[ENTRY]] {alignment = 2 : i64} : !llvm.ptr -> vector<32xi16>
// CHECK:                 arith.addi %{{.*}}, %[[LOOKED]] : vector<32xi16>
// CHECK:                 llvm.getelementptr %[[TABLE]][1728]
// CHECK:               vector.store %{{.*}}, %[[NARROW]]
// The int16 sums widen into int32:
// CHECK:             arith.extsi %{{.*}} : vector<32xi16> to vector<32xi32>
// CHECK:             vector.store %{{.*}}, %[[WIDE]]
// The last slab: 3 groups.
// CHECK:             scf.for %{{.*}} = %c0 to %c3 step %c1
// Results: a row m of the panel at a time, 8 output rows gathered from the
// sums, divided by the scales, stored contiguously (masked at the end).
// CHECK:             vector.gather %[[WIDE]]
// CHECK:             arith.sitofp %{{.*}} : vector<8xi32> to vector<8xf32>
// CHECK:             arith.divf %{{.*}} : vector<8xf32>
// CHECK:             vector.maskedstore %[[Y]]
// CHECK:         memref.dealloc %[[T]]
func.func @ragged(%a: memref<?x20xi8>, %as: memref<?xf32>, %w: !tern.ternary<14x20, #tern.packing<idx3>>,
                  %ws: f32, %y: memref<?x14xf32>) {
  tern.matmul ins(%a, %as, %w, %ws : memref<?x20xi8>, memref<?xf32>, !tern.ternary<14x20, #tern.packing<idx3>>, f32)
              outs(%y : memref<?x14xf32>) {kernel = #tern.kernel<rowlut, lanes = 8, tile_n = 4, tile_m = 1, unroll_k = 1, streams = 2>}
  return
}
