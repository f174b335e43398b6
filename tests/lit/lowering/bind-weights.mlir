// tern-bind-weights: placed weights become views of the weights argument.
// RUN: tern-opt %s -split-input-file --tern-bind-weights -verify-diagnostics | FileCheck %s

// CHECK-LABEL: func.func @bind(
// CHECK-SAME:    %[[BASE:.*]]: !llvm.ptr {tern.weights}, %[[L:.*]]: index)
// CHECK:         %[[OFF:.*]] = arith.constant 128 : i64
// CHECK:         %[[P:.*]] = llvm.getelementptr %[[BASE]][%[[OFF]]] : (!llvm.ptr, i64) -> !llvm.ptr, i8
// CHECK:         tern.buffer_from_ptr %[[P]] : memref<16xf32>
// Per layer: offset + layer * stride.
// CHECK:         %[[LI:.*]] = arith.index_cast %[[L]] : index to i64
// CHECK:         %[[STEP:.*]] = arith.muli %[[LI]], %c4096_i64
// CHECK:         %[[AT:.*]] = arith.addi %{{.*}}, %[[STEP]]
// CHECK:         %[[PW:.*]] = llvm.getelementptr %[[BASE]][%[[AT]]]
// CHECK:         tern.buffer_from_ptr %[[PW]] : !tern.ternary<64x64, #tern.packing<i2>>
// CHECK-NOT:     tern.weight
func.func @bind(%base: !llvm.ptr {tern.weights}, %l: index) -> (memref<16xf32>, !tern.ternary<64x64, #tern.packing<i2>>) {
  %g = tern.weight "norm" {offset = 128 : i64} : memref<16xf32>
  %w = tern.weight "layers.q_proj"[%l] {offset = 1024 : i64, stride = 4096 : i64} : !tern.ternary<64x64, #tern.packing<i2>>
  return %g, %w : memref<16xf32>, !tern.ternary<64x64, #tern.packing<i2>>
}

// -----

func.func @unplaced(%base: !llvm.ptr {tern.weights}) -> memref<16xf32> {
  // expected-error @+1 {{has not been placed in the weights buffer (no offset)}}
  %g = tern.weight "norm" : memref<16xf32>
  return %g : memref<16xf32>
}

// -----

func.func @no_base() -> memref<16xf32> {
  // expected-error @+1 {{is not inside a function with an argument marked 'tern.weights'}}
  %g = tern.weight "norm" {offset = 0 : i64} : memref<16xf32>
  return %g : memref<16xf32>
}
