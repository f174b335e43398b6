// tern-assign-kernels: decode-shaped (one row) and prefill-shaped (any rows)
// matmuls get the strategy's defaults for the target's vector width (without
// a tuning database), and the prefill kernel takes the weight layout
// (tile_n) of the decode kernel reading the same weights.
// RUN: tern-opt %s -split-input-file --tern-assign-kernels -verify-diagnostics | FileCheck %s
// With strategy=simt a CPU target gets the GPU's kernels (their threads run
// in loops): decode and prefill defaults, 8 lanes.
// RUN: tern-opt %s -split-input-file --tern-assign-kernels="strategy=simt" -verify-diagnostics | FileCheck %s --check-prefix=SIMT
// SIMT-LABEL: func.func @widths
// SIMT: tern.bitlinear {{.*}} {kernel = #tern.kernel<simt, lanes = 8, tile_n = 64, tile_m = 1, unroll_k = 2, streams = 4>
// SIMT: tern.bitlinear {{.*}} {kernel = #tern.kernel<simt, lanes = 8, tile_n = 64, tile_m = 4, unroll_k = 2, streams = 4>
// RUN: not tern-opt %s -split-input-file --tern-assign-kernels="strategy=wavelet" 2>&1 | FileCheck %s --check-prefix=UNKNOWN
// UNKNOWN: error: unknown strategy 'wavelet'

// CHECK-LABEL: func.func @widths
// CHECK: tern.bitlinear {{.*}} {kernel = #tern.kernel<mfree, lanes = 16, tile_n = 64, tile_m = 1, unroll_k = 1, prefetch = 16>, tern.kernel_reason = "the documented default (no tuning database)"}
// CHECK: tern.bitlinear {{.*}} {kernel = #tern.kernel<mfree, lanes = 16, tile_n = 64, tile_m = 4, unroll_k = 2>, tern.kernel_reason
// A kernel chosen before stays.
// CHECK: tern.bitlinear {{.*}} {kernel = #tern.kernel<mfree, lanes = 8, tile_n = 8, tile_m = 2, unroll_k = 1>}
module attributes {tern.target = #llvm.target<triple = "x86_64-unknown-linux-gnu", chip = "x86-64-v4",
                   features = <["+avx2", "+avx512f", "+avx512bw"]>>} {
  func.func @widths(%w: !tern.ternary<64x32, #tern.packing<i2>>, %s: f32,
                    %x1: memref<1x32xf32>, %y1: memref<1x64xf32>, %x: memref<?x32xf32>, %y: memref<?x64xf32>) {
    tern.bitlinear ins(%x1, %w, %s : memref<1x32xf32>, !tern.ternary<64x32, #tern.packing<i2>>, f32) outs(%y1 : memref<1x64xf32>)
    tern.bitlinear ins(%x, %w, %s : memref<?x32xf32>, !tern.ternary<64x32, #tern.packing<i2>>, f32) outs(%y : memref<?x64xf32>)
    tern.bitlinear ins(%x, %w, %s : memref<?x32xf32>, !tern.ternary<64x32, #tern.packing<i2>>, f32) outs(%y : memref<?x64xf32>)
        {kernel = #tern.kernel<mfree, lanes = 8, tile_n = 8, tile_m = 2, unroll_k = 1>}
    return
  }
}

// -----

// AVX2 only: 256-bit vectors.
// CHECK-LABEL: func.func @avx2
// CHECK: {kernel = #tern.kernel<mfree, lanes = 8, tile_n = 32, tile_m = 1, unroll_k = 1, prefetch = 16>, tern.kernel_reason
module attributes {tern.target = #llvm.target<triple = "x86_64-unknown-linux-gnu", chip = "x86-64-v3",
                   features = <["+avx2"]>>} {
  func.func @avx2(%w: !tern.ternary<64x32, #tern.packing<i2>>, %s: f32, %x: memref<1x32xf32>, %y: memref<1x64xf32>) {
    tern.bitlinear ins(%x, %w, %s : memref<1x32xf32>, !tern.ternary<64x32, #tern.packing<i2>>, f32) outs(%y : memref<1x64xf32>)
    return
  }
}

// -----

// expected-error @+1 {{module has no 'tern.target' attribute naming its target}}
module {
  func.func @no_target() {
    return
  }
}

// -----

// Weights loaded by name in two functions are one weight: the prefill kernel
// takes the decode kernel's layout.
// CHECK-LABEL: func.func @decode
// CHECK: tern.bitlinear {{.*}} {kernel = #tern.kernel<mfree, lanes = 16, tile_n = 64, tile_m = 1
// CHECK-LABEL: func.func @prefill
// CHECK: tern.bitlinear {{.*}} {kernel = #tern.kernel<mfree, lanes = 16, tile_n = 64, tile_m = 4
module attributes {tern.target = #llvm.target<triple = "x86_64-unknown-linux-gnu", chip = "x86-64-v4",
                   features = <["+avx2", "+avx512f", "+avx512bw"]>>} {
  func.func @decode(%s: f32, %x: memref<1x32xf32>, %y: memref<1x64xf32>) {
    %w = tern.weight "proj" : !tern.ternary<64x32, #tern.packing<i2>>
    tern.bitlinear ins(%x, %w, %s : memref<1x32xf32>, !tern.ternary<64x32, #tern.packing<i2>>, f32) outs(%y : memref<1x64xf32>)
    return
  }
  func.func @prefill(%s: f32, %x: memref<?x32xf32>, %y: memref<?x64xf32>) {
    %w = tern.weight "proj" : !tern.ternary<64x32, #tern.packing<i2>>
    tern.bitlinear ins(%x, %w, %s : memref<?x32xf32>, !tern.ternary<64x32, #tern.packing<i2>>, f32) outs(%y : memref<?x64xf32>)
    return
  }
}
