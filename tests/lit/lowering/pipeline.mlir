// The whole tern-lower-to-llvm pipeline on a kernel as ternc builds it.
// RUN: tern-opt %s --tern-lower-to-llvm | FileCheck %s

// CHECK-LABEL: llvm.func @tern_matmul(
// CHECK-SAME:    %{{.*}}: !llvm.ptr {tern.runtime_context}, %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: f32, %{{.*}}: !llvm.ptr, %{{.*}}: i64)
// CHECK:         llvm.call @tern_parallel_for
// CHECK:       llvm.func internal @tern_matmul_parallel(
// CHECK:         llvm.call_intrinsic "llvm.x86.avx2.pmadd.ub.sw"
// CHECK:       llvm.func internal @tern_matmul_parallel_trampoline(
// CHECK-NOT:   tern.
module attributes {tern.target = #llvm.target<triple = "x86_64-unknown-linux-gnu", chip = "x86-64-v3",
                   features = <["+avx2", "+ssse3"]>>} {
  func.func @tern_matmul(%rt: !llvm.ptr {tern.runtime_context}, %pa: !llvm.ptr, %ps: !llvm.ptr,
                         %pw: !llvm.ptr, %ws: f32, %py: !llvm.ptr, %m: i64) {
    %rows = arith.index_cast %m : i64 to index
    %a = tern.buffer_from_ptr %pa[%rows] : memref<?x64xi8>
    %as = tern.buffer_from_ptr %ps[%rows] : memref<?xf32>
    %w = tern.buffer_from_ptr %pw : !tern.ternary<48x64, #tern.packing<i2>>
    %y = tern.buffer_from_ptr %py[%rows] : memref<?x48xf32>
    tern.matmul ins(%a, %as, %w, %ws : memref<?x64xi8>, memref<?xf32>, !tern.ternary<48x64, #tern.packing<i2>>, f32)
                outs(%y : memref<?x48xf32>) {kernel = #tern.kernel<mfree, lanes = 8, tile_n = 16, tile_m = 2, unroll_k = 1>}
    return
  }
}
