// tern-plan-buffers: activations become views of the scratch argument, fixed
// buffers first, then per-row ones at a * rows + b, 64-byte aligned.
// RUN: tern-opt %s -split-input-file --tern-plan-buffers -verify-diagnostics | FileCheck %s

// CHECK-LABEL: func.func @plan(
// CHECK-SAME:    %[[SCRATCH:.*]]: !llvm.ptr {tern.scratch}, %[[N:.*]]: index)
// CHECK-SAME:    attributes {tern.scratch_bytes_fixed = 128 : i64, tern.scratch_bytes_per_row = 192 : i64}
// The fixed buffer: 25 floats = 100 bytes, aligned to 128.
// CHECK:         %[[P0:.*]] = llvm.getelementptr %[[SCRATCH]][%c0_i64]
// CHECK:         tern.buffer_from_ptr %[[P0]] : memref<25xf32>
// First per-row buffer at 128 + rows * 0.
// CHECK:         %[[R:.*]] = arith.index_cast %[[N]] : index to i64
// CHECK:         %[[A:.*]] = arith.muli %[[R]], %c0_i64
// CHECK:         %[[B:.*]] = arith.addi %c128_i64, %[[A]]
// CHECK:         tern.buffer_from_ptr %{{.*}}[%[[N]]] : memref<?x20xf32>
// Second per-row buffer after 80 bytes aligned to 128 per row.
// CHECK:         arith.muli %{{.*}}, %c128_i64
// CHECK:         tern.buffer_from_ptr %{{.*}}[%[[N]]] : memref<?x40xi8>
// CHECK-NOT:     memref.alloc
// CHECK-NOT:     memref.dealloc
func.func @plan(%scratch: !llvm.ptr {tern.scratch}, %n: index) {
  %a = memref.alloc() : memref<25xf32>
  %b = memref.alloc(%n) : memref<?x20xf32>
  %c = memref.alloc(%n) : memref<?x40xi8>
  memref.dealloc %b : memref<?x20xf32>
  return
}

// -----

func.func @two_sizes(%scratch: !llvm.ptr {tern.scratch}, %n: index, %m: index) {
  %b = memref.alloc(%n) : memref<?x20xf32>
  // expected-error @+1 {{activation buffers of one function must share one dynamic row count}}
  %c = memref.alloc(%m) : memref<?x40xi8>
  return
}
