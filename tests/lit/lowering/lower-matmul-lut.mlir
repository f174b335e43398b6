// tern-lower-matmul with the lut strategy on lut3 weights.
// RUN: tern-opt %s --tern-lower-matmul --canonicalize | FileCheck %s

// N = 20 in blocks of tile_n = 16 rows (one vector of 4 x 4 lanes each, the
// second block ragged). K = 27 is 9 groups of 3, in 2 units of 4 pairs of
// groups (the second padded): a block is 2 x (4 x 16 code bytes + 16 sign
// bytes) = 160 bytes, then 16 int32 counts of negated groups: 224 bytes.
// CHECK-LABEL: func.func @signs(
// CHECK-SAME:    %{{.*}}: memref<?x27xi8>, %{{.*}}: memref<?xf32>, %[[W:.*]]: !llvm.ptr, %{{.*}}: f32, %{{.*}}: memref<?x20xf32>)
// Tables first (the activations' group sums), then the blocks in parallel:
// CHECK:         scf.parallel
// CHECK:         scf.parallel (%[[B:.*]]) = (%c0) to (%c2) step (%c1)
// CHECK:           %[[BI:.*]] = arith.index_cast %[[B]] : index to i64
// CHECK:           %[[BLOCK:.*]] = arith.muli %[[BI]], %c224_i64 : i64
// One unit per step: its sign bytes (after its 64 code bytes), then per pair
// the codes, split into the nibbles of its two groups.
// CHECK:             scf.for %{{.*}} = %c0 to %c2 step %c1 iter_args(%{{.*}} = %{{.*}}, %{{.*}} = %{{.*}}) -> (vector<8xi16>, vector<8xi16>)
// CHECK:               %[[UNIT:.*]] = arith.addi %[[BLOCK]], %{{.*}} : i64
// CHECK:               %[[AT:.*]] = arith.addi %[[UNIT]], %c64_i64 : i64
// CHECK:               %[[SP:.*]] = llvm.getelementptr %[[W]][%[[AT]]]
// CHECK:               %[[SIGNS:.*]] = llvm.load %[[SP]] {alignment = 1 : i64} : !llvm.ptr -> vector<16xi8>
// CHECK:               %[[CP:.*]] = llvm.getelementptr %[[W]][%[[UNIT]]]
// CHECK:               %[[CODES:.*]] = llvm.load %[[CP]] {alignment = 1 : i64} : !llvm.ptr -> vector<16xi8>
// CHECK:               %[[LOWNIB:.*]] = arith.andi %[[CODES]], %{{.*}} : vector<16xi8>
// The first group's sign is the top bit; both lookups are xor-ed with the
// mask before they are interleaved into int16 sums (no select, no negation).
// CHECK:               %[[NEG:.*]] = arith.cmpi slt, %[[SIGNS]], %{{.*}} : vector<16xi8>
// CHECK:               %[[MASK:.*]] = arith.extsi %[[NEG]] : vector<16xi1> to vector<16xi8>
// CHECK-NOT:           arith.select
// CHECK:               %[[LOW:.*]] = tern.lookup16 %{{.*}}[%[[LOWNIB]]] : vector<16xi8>, vector<16xi8>
// CHECK:               %[[HIGH:.*]] = tern.lookup16 %{{.*}}[%[[LOWNIB]]] : vector<16xi8>, vector<16xi8>
// CHECK:               %[[XLOW:.*]] = arith.xori %[[LOW]], %[[MASK]] : vector<16xi8>
// CHECK:               %[[XHIGH:.*]] = arith.xori %[[HIGH]], %[[MASK]] : vector<16xi8>
// CHECK:               vector.shuffle %[[XLOW]], %[[XHIGH]] [0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23]
// The next group's sign: the sign bytes doubled.
// CHECK:               %[[NEXT:.*]] = arith.addi %[[SIGNS]], %[[SIGNS]] : vector<16xi8>
// CHECK:               arith.cmpi slt, %[[NEXT]], %{{.*}} : vector<16xi8>
// CHECK:             scf.yield
// The int16 sums widen into int32, and each row's count of negated groups
// (at byte 160 of the block) turns its sums of ~T = -T - 1 into sums of -T:
// CHECK:           arith.extsi %{{.*}} : vector<4xi16> to vector<4xi32>
// CHECK:           %[[CAT:.*]] = arith.addi %[[BLOCK]], %c160_i64 : i64
// CHECK:           %[[CPTR:.*]] = llvm.getelementptr %[[W]][%[[CAT]]]
// CHECK:           %[[COUNTS:.*]] = llvm.load %[[CPTR]] {alignment = 1 : i64} : !llvm.ptr -> vector<4xi32>
// CHECK:           arith.addi %{{.*}}, %[[COUNTS]] : vector<4xi32>
func.func @signs(%a: memref<?x27xi8>, %as: memref<?xf32>, %w: !tern.ternary<20x27, #tern.packing<lut3>>,
                 %ws: f32, %y: memref<?x20xf32>) {
  tern.matmul ins(%a, %as, %w, %ws : memref<?x27xi8>, memref<?xf32>, !tern.ternary<20x27, #tern.packing<lut3>>, f32)
              outs(%y : memref<?x20xf32>) {kernel = #tern.kernel<lut, lanes = 4, tile_n = 16, tile_m = 1, unroll_k = 1>}
  return
}
