// tern-lower-model: each model-level op becomes loops over vectors of the
// target's width (8 f32 lanes here), rows or tasks in scf.parallel.
// RUN: tern-opt %s --tern-lower-model --canonicalize | FileCheck %s

module attributes {tern.target = #llvm.target<triple = "x86_64-unknown-linux-gnu", chip = "x86-64-v3",
                   features = <["+avx2"]>>} {

// Rope's table of theta^(-2j/d), one per head size and theta, at the top.
// CHECK:       memref.global "private" constant @tern_rope_inv_freq_8_10000 : memref<4xf64> = dense<[1.000000e+00, 1.000000e-01, 1.000000e-02, 1.000000e-03]>

// The inverse root in f64 (4 lanes), rounded once; 20 columns leave a
// remainder loop of single elements.
// CHECK-LABEL: func.func @rms_norm(
// CHECK:         scf.parallel
// CHECK:           scf.for {{.*}} step %c4 iter_args({{.*}}) -> (vector<4xf64>)
// CHECK:             arith.extf {{.*}} : vector<4xf32> to vector<4xf64>
// CHECK:           vector.reduction <add>, {{.*}} : vector<4xf64> into f64
// CHECK:           math.sqrt {{.*}} : f64
// CHECK:           arith.truncf {{.*}} : f64 to f32
// CHECK:           scf.for {{.*}} step %c8
// CHECK:             arith.extf {{.*}} : vector<8xbf16> to vector<8xf32>
// CHECK:           scf.for {{.*}} step %c1
// CHECK:             vector.store {{.*}} : memref<?x20xf32>, vector<1xf32>
func.func @rms_norm(%x: memref<?x20xf32>, %g: memref<20xbf16>, %y: memref<?x20xf32>) {
  tern.rms_norm ins(%x, %g : memref<?x20xf32>, memref<20xbf16>) outs(%y : memref<?x20xf32>) {epsilon = 1.0e-5 : f32}
  return
}

// CHECK-LABEL: func.func @quantize(
// CHECK:         scf.parallel
// CHECK:           math.absf
// CHECK:           vector.reduction <maximumf>
// CHECK:           %[[FLOOR:.*]] = arith.maximumf %{{.*}}, %{{.*}} : f32
// CHECK:           %[[SCALE:.*]] = arith.divf %{{.*}}, %[[FLOOR]] : f32
// CHECK:           memref.store %[[SCALE]]
// CHECK:           math.roundeven {{.*}} : vector<8xf32>
// CHECK:           arith.fptosi {{.*}} : vector<8xf32> to vector<8xi8>
func.func @quantize(%x: memref<?x32xf32>, %q: memref<?x32xi8>, %s: memref<?xf32>) {
  tern.quantize ins(%x : memref<?x32xf32>) outs(%q, %s : memref<?x32xi8>, memref<?xf32>)
  return
}

// Angles and rotations in f64 from a table of theta^(-2j/d).
// CHECK-LABEL: func.func @rope(
// CHECK:         memref.get_global @tern_rope_inv_freq_8_10000
// CHECK:         scf.parallel
// CHECK:           math.cos {{.*}} : f64
// CHECK:           math.sin {{.*}} : f64
// CHECK:           arith.truncf {{.*}} : f64 to f32
func.func @rope(%x: memref<?x16xf32>, %p: index) {
  tern.rope ins(%x, %p : memref<?x16xf32>) outs(%x : memref<?x16xf32>) {head_dim = 8 : i64, theta = 10000.0 : f32}
  return
}

// Append to the caches (a task per row; the caches are KV head major, each
// head's row stored apart), then one task per (row, KV head) for the query heads
// sharing it (here 2 heads, 2 KV heads: groups of 1): the group's queries and
// scores in per-task f64 buffers, max, polynomial exp, weighted sum of values.
// CHECK-LABEL: func.func @attention(
// CHECK:         scf.parallel
// CHECK:           vector.store %{{.*}}, %{{.*}}[%c0, %[[ROW:.*]], %{{.*}}] : memref<2x32x4xf32>
// CHECK:           vector.store %{{.*}}, %{{.*}}[%c1, %[[ROW]], %{{.*}}] : memref<2x32x4xf32>
// CHECK:         scf.parallel
// CHECK:           %[[QUERIES:.*]] = memref.alloca() : memref<1x4xf64>
// CHECK:           %[[SCORES:.*]] = memref.alloca() : memref<1x32xf64>
// CHECK:           vector.store %{{.*}}, %[[QUERIES]]
// CHECK:           vector.reduction <add>, {{.*}} : vector<4xf64> into f64
// CHECK:           memref.store {{.*}}, %[[SCORES]]
// CHECK:           vector.reduction <maximumf>
// CHECK:           math.roundeven {{.*}} : vector<4xf64>
// CHECK:           arith.shli
// CHECK:           scf.for {{.*}} iter_args({{.*}}) -> (vector<4xf64>)
// CHECK:           arith.truncf {{.*}} : vector<4xf64> to vector<4xf32>
func.func @attention(%q: memref<?x8xf32>, %kv: memref<?x8xf32>, %kc: memref<2x32x4xf32>, %vc: memref<2x32x4xf32>, %p: index, %out: memref<?x8xf32>) {
  tern.attention ins(%q, %kv, %kv, %kc, %vc, %p : memref<?x8xf32>, memref<?x8xf32>, memref<?x8xf32>, memref<2x32x4xf32>, memref<2x32x4xf32>)
                 outs(%out : memref<?x8xf32>) {num_heads = 2 : i64, num_kv_heads = 2 : i64, head_dim = 4 : i64}
  return
}

// Four query heads on one KV head: tasks are KV head major (task mod rows
// is the row, task / rows the KV head, so consecutive tasks share a cache).
// The scores' products are exact in f64, so they may fuse into FMAs, and
// their lanes sum in any order (the f64 sums round to the same f32 but at
// ties): two keys a step (8 accumulators, half of AVX2's registers), whose 8
// sums a tree of shuffles gathers into two vectors, divided by sqrt(d) there
// and stored as each head's run of two scores; the keys left over one at a
// time, the same way. Max and exp passes per head; one pass over the values
// sums all four heads' exponential-weighted values (2 slices of 4 lanes
// each: 8 accumulators), each then divided by its head's total, not every
// weight. Both passes prefetch the head's cache row 8 positions on, at most
// the last one.
// CHECK-LABEL: func.func @attention_group(
// CHECK:         scf.parallel (%[[TASK:.*]]) =
// CHECK:           arith.remui %[[TASK]], %[[ROWS:.*]] : index
// CHECK:           arith.divui %[[TASK]], %[[ROWS]] : index
// CHECK:           scf.for %{{.*}} = %c0 to %{{.*}} step %c2 {
// CHECK:             %[[AHEAD:.*]] = arith.minui %{{.*}}, %{{.*}} : index
// CHECK:             memref.prefetch %{{.*}}[%{{.*}}, %[[AHEAD]], %{{.*}}], read, locality<3>, data : memref<1x32x8xf32>
// CHECK:             arith.mulf {{.*}} fastmath<contract> : vector<4xf64>
// CHECK:             arith.addf {{.*}} fastmath<contract> : vector<4xf64>
// CHECK:             vector.shuffle %{{.*}}, %{{.*}} [0, 1, 4, 5] : vector<4xf64>, vector<4xf64>
// CHECK:             vector.shuffle %{{.*}}, %{{.*}} [2, 3, 6, 7] : vector<4xf64>, vector<4xf64>
// CHECK:             vector.shuffle %{{.*}}, %{{.*}} [0, 2, 4, 6] : vector<4xf64>, vector<4xf64>
// CHECK:             vector.shuffle %{{.*}}, %{{.*}} [1, 3, 5, 7] : vector<4xf64>, vector<4xf64>
// CHECK:             arith.divf {{.*}} : vector<4xf64>
// CHECK:             vector.extract_strided_slice %{{.*}} {offsets = [2], sizes = [2], strides = [1]} : vector<4xf64> to vector<2xf64>
// CHECK:             vector.store %{{.*}}, %{{.*}}[%c1, %{{.*}}] : memref<4x32xf64>, vector<2xf64>
// CHECK:           scf.for
// CHECK:             vector.store %{{.*}}, %{{.*}}[%c3, %{{.*}}] : memref<4x32xf64>, vector<1xf64>
// CHECK-NOT:       arith.divf
// CHECK:           vector.reduction <maximumf>
// CHECK:           math.roundeven
// CHECK-NOT:       arith.divf
// CHECK:           scf.for {{.*}} iter_args({{.*}}) -> (vector<4xf64>, vector<4xf64>, vector<4xf64>, vector<4xf64>, vector<4xf64>, vector<4xf64>, vector<4xf64>, vector<4xf64>)
// CHECK:             memref.prefetch %{{.*}}[%{{.*}}, %{{.*}}, %{{.*}}], read, locality<3>, data : memref<1x32x8xf32>
// CHECK:             arith.mulf {{.*}} fastmath<contract> : vector<4xf64>
// CHECK:             arith.addf {{.*}} fastmath<contract> : vector<4xf64>
// CHECK-COUNT-8:   arith.divf {{.*}} : vector<4xf64>
// CHECK-NOT:       arith.divf
func.func @attention_group(%q: memref<?x32xf32>, %kv: memref<?x8xf32>, %kc: memref<1x32x8xf32>, %vc: memref<1x32x8xf32>, %p: index, %out: memref<?x32xf32>) {
  tern.attention ins(%q, %kv, %kv, %kc, %vc, %p : memref<?x32xf32>, memref<?x8xf32>, memref<?x8xf32>, memref<1x32x8xf32>, memref<1x32x8xf32>)
                 outs(%out : memref<?x32xf32>) {num_heads = 4 : i64, num_kv_heads = 1 : i64, head_dim = 8 : i64}
  return
}

// CHECK-LABEL: func.func @embed(
// CHECK:         scf.parallel
// CHECK:           %[[T:.*]] = memref.load %{{.*}} : memref<?xi32>
// CHECK:           %[[I:.*]] = arith.index_cast %[[T]] : i32 to index
// CHECK:           vector.load %{{.*}}[%[[I]], %{{.*}}] : memref<100x16xbf16>, vector<8xbf16>
func.func @embed(%t: memref<100x16xbf16>, %tok: memref<?xi32>, %out: memref<?x16xf32>) {
  tern.embed ins(%t, %tok : memref<100x16xbf16>, memref<?xi32>) outs(%out : memref<?x16xf32>)
  return
}

// The vocabulary in 4 ranges of 28 entries (25, rounded up to whole tasks),
// read side by side: task t sums entries 28 s + 4 t + i of every range s,
// i < 4, in one pass over the columns, 7 tasks. While they are summed, the
// entries 4 KiB further on in each range (128 rows of 32 bytes, clamped to
// the last) are prefetched into L2 (locality 2 on this Intel-tuned target),
// a vector at a time. Entries past the vocabulary are not stored.
// CHECK-LABEL: func.func @lm_head(
// CHECK:         scf.parallel ({{.*}}) = (%c0) to (%c7) step (%c1)
// CHECK:           scf.for %[[I:.*]] = %c0 to %c4 step %c1
// CHECK:             %[[V0:.*]] = arith.addi %{{.*}}, %[[I]] : index
// CHECK:             %[[AHEAD:.*]] = arith.addi %[[V0]], %c128 : index
// CHECK:             %[[NEXT:.*]] = arith.minui %[[AHEAD]], %c99 : index
// CHECK:             arith.addi %[[I]], %c28 : index
// CHECK:             arith.addi %[[I]], %c56 : index
// CHECK:             arith.addi %[[I]], %c84 : index
// CHECK:             scf.for {{.*}} -> (vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>)
// CHECK:               memref.prefetch %{{.*}}[%[[NEXT]], %{{.*}}], read, locality<2>, data : memref<100x16xbf16>
// CHECK-COUNT-4:     vector.reduction <add>
// CHECK:             %[[IN:.*]] = arith.cmpi ult, %[[V0]], %c100 : index
// CHECK-NEXT:        scf.if %[[IN]] {
// CHECK-NEXT:          memref.store
func.func @lm_head(%x: memref<?x16xf32>, %t: memref<100x16xbf16>, %l: memref<?x100xf32>) {
  tern.lm_head ins(%x, %t : memref<?x16xf32>, memref<100x16xbf16>) outs(%l : memref<?x100xf32>)
  return
}

// An int8 table: its bytes widened to f32 (sitofp), each entry's sum times
// its row's scale (of the clamped row) before it is stored; 16-byte rows put
// the prefetches 256 rows ahead.
// CHECK-LABEL: func.func @lm_head_int8(
// CHECK:         scf.parallel
// CHECK:             %[[AHEAD:.*]] = arith.addi %{{.*}}, %c256 : index
// CHECK:             scf.for {{.*}} -> (vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>)
// CHECK:               vector.load %{{.*}} : memref<100x16xi8>, vector<8xi8>
// CHECK:               arith.sitofp %{{.*}} : vector<8xi8> to vector<8xf32>
// CHECK:             %[[SUM:.*]] = vector.reduction <add>
// CHECK-COUNT-3:     vector.reduction <add>
// CHECK:             %[[SCALE:.*]] = memref.load %{{.*}} : memref<100xf32>
// CHECK:             arith.mulf %[[SUM]], %[[SCALE]] : f32
// CHECK:             scf.if
// CHECK-NEXT:          memref.store
func.func @lm_head_int8(%x: memref<?x16xf32>, %t: memref<100x16xi8>, %l: memref<?x100xf32>, %s: memref<100xf32>) {
  tern.lm_head ins(%x, %t : memref<?x16xf32>, memref<100x16xi8>) outs(%l : memref<?x100xf32>) row_scale(%s : memref<100xf32>)
  return
}

// CHECK-LABEL: func.func @elementwise(
// CHECK:         arith.maximumf
// CHECK:         arith.mulf
// CHECK:         scf.parallel
// CHECK:           arith.mulf
// CHECK:         scf.parallel
// CHECK:           arith.addf
// CHECK-NOT:     tern.
func.func @elementwise(%a: memref<?x16xf32>, %b: memref<?x16xf32>) {
  tern.relu2 ins(%a : memref<?x16xf32>) outs(%a : memref<?x16xf32>)
  tern.mul ins(%a, %b : memref<?x16xf32>, memref<?x16xf32>) outs(%a : memref<?x16xf32>)
  tern.add ins(%a, %b : memref<?x16xf32>, memref<?x16xf32>) outs(%a : memref<?x16xf32>)
  return
}
}
