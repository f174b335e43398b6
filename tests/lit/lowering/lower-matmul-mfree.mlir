// tern-lower-matmul with the mfree strategy on i2 weights.
// RUN: tern-opt %s --tern-lower-matmul --canonicalize | FileCheck %s

// N = 40 is not a multiple of tile_n = 32: the last block stores 8 of its 32
// rows through a mask. K = 20 is one full chunk of 16 plus one plane.
// CHECK-LABEL: func.func @ragged(
// CHECK-SAME:    %[[A:.*]]: memref<?x20xi8>, %{{.*}}: memref<?xf32>, %[[W:.*]]: !llvm.ptr, %{{.*}}: f32, %[[Y:.*]]: memref<?x40xf32>)
// The matmul's stack buffers are freed when it ends:
// CHECK:         %[[STACK:.*]] = llvm.intr.stacksave : !llvm.ptr
// Row sums of the activations, once per call:
// CHECK:         %[[SUMS:.*]] = memref.alloca(%{{.*}}) : memref<?xi32>
// CHECK:         scf.for
// CHECK:           tern.vdot %{{.*}} : vector<1xi32>, vector<4xi8>
// CHECK:           memref.store %{{.*}}, %[[SUMS]]
// Two blocks of 32 output rows, run in parallel:
// CHECK:         scf.parallel (%[[B:.*]]) = (%c0) to (%c2) step (%c1)
// CHECK:           scf.for %[[M:.*]] = %c0 to %{{.*}} step %c1
// Two weight vectors per chunk, unpacked a plane at a time (tern.unpack_i2):
// CHECK:             llvm.getelementptr %[[W]][%{{.*}}] : (!llvm.ptr, i64) -> !llvm.ptr, i8
// CHECK:             llvm.load %{{.*}} {alignment = 1 : i64} : !llvm.ptr -> vector<64xi8>
// CHECK:             llvm.load %{{.*}} {alignment = 1 : i64} : !llvm.ptr -> vector<64xi8>
// Activations: four bytes broadcast to all 16 lanes.
// CHECK:             vector.load %[[A]][%[[M]], %{{.*}}] : memref<?x20xi8>, vector<4xi8>
// CHECK:             vector.broadcast %{{.*}} : i32 to vector<16xi32>
// CHECK:             tern.unpack_i2 %{{.*}} {plane = 0 : i64} : vector<64xi8>
// CHECK:             tern.vdot %{{.*}}, %{{.*}}, %{{.*}} : vector<16xi32>, vector<64xi8>
// CHECK:             tern.unpack_i2 %{{.*}} {plane = 1 : i64} : vector<64xi8>
// Epilogue, for the last block and the others: subtract the row sum, divide
// by both scales, store.
// CHECK:             scf.if
// CHECK:               arith.subi %{{.*}}, %{{.*}} : vector<16xi32>
// CHECK:               arith.sitofp %{{.*}} : vector<16xi32> to vector<16xf32>
// CHECK:               arith.divf %{{.*}}, %{{.*}} : vector<16xf32>
// CHECK:               %[[MASK:.*]] = vector.constant_mask [8] : vector<16xi1>
// CHECK:               vector.maskedstore %[[Y]][%{{.*}}], %[[MASK]]
// CHECK:             } else {
// CHECK:               vector.store %{{.*}}, %[[Y]]
// CHECK:               vector.store %{{.*}}, %[[Y]]
// CHECK:         llvm.intr.stackrestore %[[STACK]] : !llvm.ptr
// CHECK-NEXT:    return
func.func @ragged(%a: memref<?x20xi8>, %as: memref<?xf32>, %w: !tern.ternary<40x20, #tern.packing<i2>>,
                  %ws: f32, %y: memref<?x40xf32>) {
  tern.matmul ins(%a, %as, %w, %ws : memref<?x20xi8>, memref<?xf32>, !tern.ternary<40x20, #tern.packing<i2>>, f32)
              outs(%y : memref<?x40xf32>) {kernel = #tern.kernel<mfree, lanes = 16, tile_n = 32, tile_m = 1, unroll_k = 2>}
  return
}

// A register tile of 4 rows: a main loop over tiles of 4 and a remainder loop
// over single rows, each with tile_m x (tile_n / lanes) accumulators. Each
// block's weights are first decoded into a stack panel, one vector per
// (chunk, plane, vector): 4 chunks x 4 planes x 2 vectors; the tiles then
// load them instead of shifting and masking.
// CHECK-LABEL: func.func @tiled(
// CHECK:         scf.parallel
// CHECK:           %[[PANEL:.*]] = memref.alloca() {alignment = 64 : i64} : memref<32x32xi8>
// CHECK:           scf.for %{{.*}} = %c0 to %c4 step %c1
// CHECK:             llvm.load %{{.*}} : !llvm.ptr -> vector<32xi8>
// CHECK:             tern.unpack_i2 %{{.*}} {plane = 0 : i64} : vector<32xi8>
// CHECK:             vector.store %{{.*}}, %[[PANEL]]
// CHECK:           %[[FULL:.*]] = arith.subi %{{.*}}, %{{.*}} : index
// CHECK:           scf.for %{{.*}} = %c0 to %[[FULL]] step %c4
// CHECK:             scf.for {{.*}} iter_args({{.*}}) -> (vector<8xi32>, vector<8xi32>, vector<8xi32>, vector<8xi32>, vector<8xi32>, vector<8xi32>, vector<8xi32>, vector<8xi32>)
// CHECK-NOT:           tern.unpack_i2
// CHECK:               vector.load %[[PANEL]]
// CHECK:               tern.vdot
// CHECK:           scf.for %{{.*}} = %[[FULL]] to %{{.*}} step %c1
// CHECK:             scf.for {{.*}} iter_args({{.*}}) -> (vector<8xi32>, vector<8xi32>)
func.func @tiled(%a: memref<?x64xi8>, %as: memref<?xf32>, %w: !tern.ternary<32x64, #tern.packing<i2>>,
                 %ws: f32, %y: memref<?x32xf32>) {
  tern.matmul ins(%a, %as, %w, %ws : memref<?x64xi8>, memref<?xf32>, !tern.ternary<32x64, #tern.packing<i2>>, f32)
              outs(%y : memref<?x32xf32>) {kernel = #tern.kernel<mfree, lanes = 8, tile_n = 16, tile_m = 4, unroll_k = 1>}
  return
}

// base3 prefill: the panel holds the base-3 digits, (x > 85) + (x > 170)
// with x tripled between planes; the tile loop reads them like i2 planes.
// CHECK-LABEL: func.func @base3_panel(
// CHECK:         %[[PANEL:.*]] = memref.alloca() {alignment = 64 : i64} : memref<10x64xi8>
// CHECK:         scf.for
// CHECK:           arith.cmpi ugt, %{{.*}}, %{{.*}} : vector<64xi8>
// CHECK:           vector.store %{{.*}}, %[[PANEL]]
// CHECK:         scf.for
// CHECK:           vector.load %[[PANEL]]
// CHECK:           tern.vdot
func.func @base3_panel(%a: memref<?x40xi8>, %as: memref<?xf32>, %w: !tern.ternary<16x40, #tern.packing<base3>>,
                       %ws: f32, %y: memref<?x16xf32>) {
  tern.matmul ins(%a, %as, %w, %ws : memref<?x40xi8>, memref<?xf32>, !tern.ternary<16x40, #tern.packing<base3>>, f32)
              outs(%y : memref<?x16xf32>) {kernel = #tern.kernel<mfree, lanes = 16, tile_n = 16, tile_m = 2, unroll_k = 1>}
  return
}

// A block whose decoded weights would pass the 1 MiB stack panel
// (K x tile_n = 16400 x 64 bytes) decodes them in the loop of every tile.
// CHECK-LABEL: func.func @beyond_panel(
// CHECK-NOT:     memref.alloca() {alignment
// CHECK:         scf.for %{{.*}} = %c0 to %{{.*}} step %c4
// CHECK:           scf.for
// CHECK:             tern.unpack_i2 %{{.*}} {plane = 1 : i64} : vector<64xi8>
func.func @beyond_panel(%a: memref<?x16400xi8>, %as: memref<?xf32>, %w: !tern.ternary<64x16400, #tern.packing<i2>>,
                        %ws: f32, %y: memref<?x64xf32>) {
  tern.matmul ins(%a, %as, %w, %ws : memref<?x16400xi8>, memref<?xf32>, !tern.ternary<64x16400, #tern.packing<i2>>, f32)
              outs(%y : memref<?x64xf32>) {kernel = #tern.kernel<mfree, lanes = 16, tile_n = 64, tile_m = 4, unroll_k = 1>}
  return
}

// The packed operand of a C entry point becomes its pointer.
// CHECK-LABEL: func.func @from_pointer(
// CHECK-SAME:    %[[P:.*]]: !llvm.ptr
// CHECK-NOT:     tern.buffer_from_ptr %[[P]]
// CHECK:         llvm.getelementptr %[[P]]
func.func @from_pointer(%p: !llvm.ptr, %a: memref<?x16xi8>, %as: memref<?xf32>, %ws: f32, %y: memref<?x16xf32>) {
  %w = tern.buffer_from_ptr %p : !tern.ternary<16x16, #tern.packing<i2>>
  tern.matmul ins(%a, %as, %w, %ws : memref<?x16xi8>, memref<?xf32>, !tern.ternary<16x16, #tern.packing<i2>>, f32)
              outs(%y : memref<?x16xf32>) {kernel = #tern.kernel<mfree, lanes = 4, tile_n = 16, tile_m = 1, unroll_k = 1>}
  return
}

// Three streams read K in three slabs: slab s holds chunk s of both blocks
// (128 bytes each), so block b reads its chunks at 128 b, 256 + 128 b and
// 512 + 128 b, each stream running on into the next block's.
// CHECK-LABEL: func.func @slabs(
// CHECK-SAME:    %[[W:[^:]*]]: !llvm.ptr
// CHECK:         scf.parallel (%[[B:.*]]) = (%c0) to (%c2) step (%c1)
// CHECK:           %[[B0:.*]] = arith.index_cast %[[B]] : index to i64
// CHECK:           %[[S0:.*]] = arith.muli %[[B0]], %c128_i64 : i64
// CHECK:           %[[S1:.*]] = arith.addi %{{.*}}, %c256_i64 : i64
// CHECK:           %[[S2:.*]] = arith.addi %{{.*}}, %c512_i64 : i64
// CHECK:           scf.for
// CHECK:             llvm.getelementptr %[[W]][%[[S0]]]
// CHECK:             llvm.getelementptr %[[W]][%[[S1]]]
// CHECK:             llvm.getelementptr %[[W]][%[[S2]]]
func.func @slabs(%a: memref<?x48xi8>, %as: memref<?xf32>, %w: !tern.ternary<64x48, #tern.packing<i2>>,
                 %ws: f32, %y: memref<?x64xf32>) {
  tern.matmul ins(%a, %as, %w, %ws : memref<?x48xi8>, memref<?xf32>, !tern.ternary<64x48, #tern.packing<i2>>, f32)
              outs(%y : memref<?x64xf32>) {kernel = #tern.kernel<mfree, lanes = 16, tile_n = 32, tile_m = 1, unroll_k = 1, streams = 3>}
  return
}
