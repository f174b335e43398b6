// tern-outline-parallel moves parallel loop bodies into functions that the
// runtime calls on its threads.
// RUN: tern-opt %s -split-input-file --tern-outline-parallel -verify-diagnostics | FileCheck %s

// CHECK-LABEL: func.func @scale(
// CHECK-SAME:    %[[RT:.*]]: !llvm.ptr {tern.runtime_context}, %[[X:.*]]: memref<?xf32>, %[[S:.*]]: f32, %[[N:.*]]: index)
// CHECK:         %[[SPAN:.*]] = arith.subi %[[N]], %[[LB:.*]] : index
// CHECK:         %[[COUNT:.*]] = arith.ceildivsi %[[SPAN]], %[[STEP:.*]] : index
// CHECK:         %[[CLAMPED:.*]] = arith.maxsi %[[COUNT]], %{{.*}} : index
// CHECK:         tern.parallel_dispatch @scale_parallel(%[[CLAMPED]]) runtime(%[[RT]]) captures(%[[X]], %[[S]] : memref<?xf32>, f32)
// CHECK-NOT:     scf.parallel
// CHECK:       func.func private @scale_parallel(%[[BEGIN:.*]]: index, %[[END:.*]]: index, %[[XA:.*]]: memref<?xf32>, %[[SA:.*]]: f32)
// CHECK:         scf.for %[[I:.*]] = %[[BEGIN]] to %[[END]] step %c1
// CHECK:           %[[SCALED:.*]] = arith.muli %[[I]], %c2
// CHECK:           %[[IV:.*]] = arith.addi %[[SCALED]], %c1
// CHECK:           memref.load %[[XA]][%[[IV]]]
// CHECK:           arith.mulf %{{.*}}, %[[SA]]
func.func @scale(%rt: !llvm.ptr {tern.runtime_context}, %x: memref<?xf32>, %s: f32, %n: index) {
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  scf.parallel (%i) = (%c1) to (%n) step (%c2) {
    %v = memref.load %x[%i] : memref<?xf32>
    %r = arith.mulf %v, %s : f32
    memref.store %r, %x[%i] : memref<?xf32>
    scf.reduce
  }
  return
}

// -----

// A fixed-size buffer of the body is allocated once per call of the outlined
// function, before its loop: allocas are only freed on return.
// CHECK-LABEL: func.func private @scratch_parallel(
// CHECK:         %[[BUF:.*]] = memref.alloca() : memref<64xf32>
// CHECK:         scf.for
// CHECK:           memref.store %{{.*}}, %[[BUF]]
func.func @scratch(%rt: !llvm.ptr {tern.runtime_context}, %n: index, %v: f32) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  scf.parallel (%i) = (%c0) to (%n) step (%c1) {
    %buf = memref.alloca() : memref<64xf32>
    memref.store %v, %buf[%c0] : memref<64xf32>
    scf.reduce
  }
  return
}

// -----

func.func @no_runtime(%x: memref<?xf32>, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  // expected-error @+1 {{must be inside a function with an !llvm.ptr argument marked 'tern.runtime_context'}}
  scf.parallel (%i) = (%c0) to (%n) step (%c1) {
    scf.reduce
  }
  return
}

// -----

func.func @two_dims(%rt: !llvm.ptr {tern.runtime_context}, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  // expected-error @+1 {{only one-dimensional parallel loops are dispatched to the runtime}}
  scf.parallel (%i, %j) = (%c0, %c0) to (%n, %n) step (%c1, %c1) {
    scf.reduce
  }
  return
}
