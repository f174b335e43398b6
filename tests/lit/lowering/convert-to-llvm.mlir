// tern-convert-to-llvm: the C ABI bridge and the runtime dispatch.
// RUN: tern-opt %s --tern-convert-to-llvm --reconcile-unrealized-casts | FileCheck %s
// RUN: tern-opt %s --tern-convert-to-llvm --reconcile-unrealized-casts | FileCheck %s --check-prefix=LAUNCH

// A pointer becomes a row-major descriptor: sizes [m, 8], strides [8, 1].
// CHECK-LABEL: llvm.func @view(
// CHECK-SAME:    %[[P:.*]]: !llvm.ptr, %[[M:.*]]: i64)
// CHECK:         %[[D0:.*]] = llvm.mlir.poison : !llvm.struct<(ptr, ptr, i64, array<2 x i64>, array<2 x i64>)>
// CHECK:         %[[D1:.*]] = llvm.insertvalue %[[P]], %[[D0]][0]
// CHECK:         %[[D2:.*]] = llvm.insertvalue %[[P]], %[[D1]][1]
// CHECK:         llvm.insertvalue %{{.*}}[3, 1]
// CHECK:         llvm.insertvalue %{{.*}}[4, 1]
// CHECK:         llvm.insertvalue %[[M]], %{{.*}}[3, 0]
// CHECK:         llvm.insertvalue %{{.*}}[4, 0]
func.func @view(%p: !llvm.ptr, %m: index) -> memref<?x8xf32> {
  %v = tern.buffer_from_ptr %p[%m] : memref<?x8xf32>
  return %v : memref<?x8xf32>
}

// The captures go into a closure struct on the stack; a trampoline unpacks it
// and calls the outlined body with the expanded memref descriptor.
// CHECK-LABEL: llvm.func @dispatch(
// CHECK:         %[[CLOSURE:.*]] = llvm.alloca %{{.*}} x !llvm.struct<(struct<(ptr, ptr, i64, array<1 x i64>, array<1 x i64>)>, f32)>
// CHECK:         llvm.store %{{.*}}, %[[CLOSURE]]
// CHECK:         %[[FN:.*]] = llvm.mlir.addressof @body_trampoline : !llvm.ptr
// CHECK:         llvm.call @tern_parallel_for(%{{.*}}, %{{.*}}, %[[FN]], %[[CLOSURE]]) : (!llvm.ptr, i64, !llvm.ptr, !llvm.ptr) -> ()
// CHECK:       llvm.func internal @body_trampoline(%[[C:.*]]: !llvm.ptr, %[[B:.*]]: i64, %[[E:.*]]: i64)
// CHECK:         %[[S:.*]] = llvm.load %[[C]]
// CHECK:         llvm.call @body(%[[B]], %[[E]], %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}) : (i64, i64, !llvm.ptr, !llvm.ptr, i64, i64, i64, f32) -> ()
// CHECK:       llvm.func @tern_parallel_for(!llvm.ptr, i64, !llvm.ptr, !llvm.ptr)
func.func @dispatch(%rt: !llvm.ptr, %x: memref<?xf32>, %s: f32, %n: index) {
  tern.parallel_dispatch @body(%n) runtime(%rt) captures(%x, %s : memref<?xf32>, f32)
  return
}
func.func private @body(%begin: index, %end: index, %x: memref<?xf32>, %s: f32)

// A GPU launch: the kernel's parameters as LLVM spells them (a memref's
// descriptor fields, an index, a float widened), one 8-byte slot each, and
// the kernel's name.
// LAUNCH:       llvm.mlir.global internal constant @tern_kernel_name_scale("scale\00")
// LAUNCH-LABEL: llvm.func @launch(
// LAUNCH:        %[[SLOTS:.*]] = llvm.alloca %{{.*}} x i64
// LAUNCH-COUNT-2: llvm.ptrtoint
// LAUNCH:        llvm.bitcast %{{.*}} : f32 to i32
// LAUNCH:        llvm.mlir.addressof @tern_kernel_name_scale
// LAUNCH:        %[[NAME:.*]] = llvm.getelementptr
// LAUNCH:        llvm.call @tern_gpu_launch(%{{.*}}, %[[NAME]], %{{.*}}, %{{.*}}, %{{.*}}, %[[SLOTS]], %{{.*}}) : (!llvm.ptr, !llvm.ptr, i64, i64, i64, !llvm.ptr, i64) -> ()
func.func private @scale(%x: memref<?xf32>, %n: index, %s: f32)
func.func @launch(%rt: !llvm.ptr, %x: memref<?xf32>, %n: index, %s: f32) {
  %c4 = arith.constant 4 : index
  tern.gpu_launch @scale blocks(%n, %c4) threads(256) runtime(%rt) args(%x, %n, %s : memref<?xf32>, index, f32)
  return
}
