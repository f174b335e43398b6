// Every verifier error of the kernel-level ops, their type and attributes.
// RUN: tern-opt %s -split-input-file -verify-diagnostics

func.func @matmul_k(%a: memref<?x60xi8>, %as: memref<?xf32>, %w: !tern.ternary<32x64, #tern.packing<i2>>, %ws: f32, %y: memref<?x32xf32>) {
  // expected-error @+1 {{columns of 'a' (60) does not match K of 'weight' (64)}}
  tern.matmul ins(%a, %as, %w, %ws : memref<?x60xi8>, memref<?xf32>, !tern.ternary<32x64, #tern.packing<i2>>, f32) outs(%y : memref<?x32xf32>)
              {kernel = #tern.kernel<mfree, lanes = 16, tile_n = 32, tile_m = 1, unroll_k = 1>}
  return
}

// -----

func.func @matmul_missing_scales(%a: memref<8x64xi8>, %as: memref<1xf32>, %w: !tern.ternary<32x64, #tern.packing<i2>>, %ws: f32, %y: memref<8x32xf32>) {
  // expected-error @+1 {{length of 'a_scale' (1) does not match rows of 'a' (8)}}
  tern.matmul ins(%a, %as, %w, %ws : memref<8x64xi8>, memref<1xf32>, !tern.ternary<32x64, #tern.packing<i2>>, f32) outs(%y : memref<8x32xf32>)
              {kernel = #tern.kernel<mfree, lanes = 16, tile_n = 32, tile_m = 1, unroll_k = 1>}
  return
}

// -----

func.func @matmul_n(%a: memref<?x64xi8>, %as: memref<?xf32>, %w: !tern.ternary<32x64, #tern.packing<i2>>, %ws: f32, %y: memref<?x31xf32>) {
  // expected-error @+1 {{columns of 'out' (31) does not match N of 'weight' (32)}}
  tern.matmul ins(%a, %as, %w, %ws : memref<?x64xi8>, memref<?xf32>, !tern.ternary<32x64, #tern.packing<i2>>, f32) outs(%y : memref<?x31xf32>)
              {kernel = #tern.kernel<mfree, lanes = 16, tile_n = 32, tile_m = 1, unroll_k = 1>}
  return
}

// -----

func.func @matmul_rows(%a: memref<4x64xi8>, %as: memref<4xf32>, %w: !tern.ternary<32x64, #tern.packing<i2>>, %ws: f32, %y: memref<5x32xf32>) {
  // expected-error @+1 {{rows of 'out' (5) does not match rows of 'a' (4)}}
  tern.matmul ins(%a, %as, %w, %ws : memref<4x64xi8>, memref<4xf32>, !tern.ternary<32x64, #tern.packing<i2>>, f32) outs(%y : memref<5x32xf32>)
              {kernel = #tern.kernel<mfree, lanes = 16, tile_n = 32, tile_m = 1, unroll_k = 1>}
  return
}

// -----

func.func @matmul_activation_type(%a: memref<?x64xf32>, %as: memref<?xf32>, %w: !tern.ternary<32x64, #tern.packing<i2>>, %ws: f32, %y: memref<?x32xf32>) {
  // expected-error @+1 {{operand #0 must be 2D memref of 8-bit signless integer values}}
  tern.matmul ins(%a, %as, %w, %ws : memref<?x64xf32>, memref<?xf32>, !tern.ternary<32x64, #tern.packing<i2>>, f32) outs(%y : memref<?x32xf32>)
              {kernel = #tern.kernel<mfree, lanes = 16, tile_n = 32, tile_m = 1, unroll_k = 1>}
  return
}

// -----

func.func @matmul_without_kernel(%a: memref<?x64xi8>, %as: memref<?xf32>, %w: !tern.ternary<32x64, #tern.packing<i2>>, %ws: f32, %y: memref<?x32xf32>) {
  // expected-error @+1 {{requires attribute 'kernel'}}
  tern.matmul ins(%a, %as, %w, %ws : memref<?x64xi8>, memref<?xf32>, !tern.ternary<32x64, #tern.packing<i2>>, f32) outs(%y : memref<?x32xf32>)
  return
}

// -----

func.func @vdot_lanes(%acc: vector<16xi32>, %u: vector<32xi8>) -> vector<16xi32> {
  // expected-error @+1 {{int8 operands must have 4 elements per int32 accumulator lane: 32 elements for 16 lanes}}
  %r = tern.vdot %acc, %u, %u : vector<16xi32>, vector<32xi8>
  return %r : vector<16xi32>
}

// -----

func.func @add_pairs_lanes(%acc: vector<8xi32>, %p: vector<8xi16>) -> vector<8xi32> {
  // expected-error @+1 {{needs two int16 elements per int32 lane: 8 elements for 8 lanes}}
  %r = tern.add_pairs %acc, %p : vector<8xi32>, vector<8xi16>
  return %r : vector<8xi32>
}

// -----

func.func @vdot_pairs(%acc: vector<16xi16>, %u: vector<64xi8>) -> vector<16xi16> {
  // expected-error @+1 {{int8 operands must have 2 elements per int16 accumulator lane: 64 elements for 16 lanes}}
  %r = tern.vdot %acc, %u, %u : vector<16xi16>, vector<64xi8>
  return %r : vector<16xi16>
}

// -----

func.func @tdot_packing(%acc: vector<16xi32>, %w: vector<64xi8>, %x: vector<16xi8>) -> vector<16xi32> {
  // expected-error @+1 {{reads i2 or base3 weights, not lut2}}
  %r = tern.tdot %acc, %w, %x {packing = #tern.packing<lut2>} : vector<16xi32>, vector<64xi8>, vector<16xi8>
  return %r : vector<16xi32>
}

// -----

func.func @tdot_weights(%acc: vector<16xi32>, %w: vector<32xi8>, %x: vector<16xi8>) -> vector<16xi32> {
  // expected-error @+1 {{weights must have 4 bytes per accumulator lane: 32 bytes for 16 lanes}}
  %r = tern.tdot %acc, %w, %x {packing = #tern.packing<i2>} : vector<16xi32>, vector<32xi8>, vector<16xi8>
  return %r : vector<16xi32>
}

// -----

func.func @tdot_planes(%acc: vector<16xi32>, %w: vector<64xi8>, %x: vector<20xi8>) -> vector<16xi32> {
  // expected-error @+1 {{x must hold 4 activations for each of 1 to 4 planes, got 20}}
  %r = tern.tdot %acc, %w, %x {packing = #tern.packing<i2>} : vector<16xi32>, vector<64xi8>, vector<20xi8>
  return %r : vector<16xi32>
}

// -----

func.func @vdot_lhs_max(%acc: vector<16xi32>, %u: vector<64xi8>) -> vector<16xi32> {
  // expected-error @+1 {{lhs_max must be in [1, 255], got 256}}
  %r = tern.vdot %acc, %u, %u {lhs_max = 256} : vector<16xi32>, vector<64xi8>
  return %r : vector<16xi32>
}

// -----

func.func @lookup_table(%t: vector<32xi8>, %i: vector<64xi8>) -> vector<64xi8> {
  // expected-error @+1 {{operand #0 must be vector of 8-bit signless integer values of length 16}}
  %r = tern.lookup16 %t[%i] : vector<32xi8>, vector<64xi8>
  return %r : vector<64xi8>
}

// -----

func.func @lut_tile(%a: memref<?x64xi8>, %as: memref<?xf32>, %w: !tern.ternary<32x64, #tern.packing<lut3>>, %ws: f32, %y: memref<?x32xf32>) {
  // expected-error @+2 {{a lut kernel's tile_n must be a multiple of 4 * lanes (64 rows per lookup), got 32}}
  tern.matmul ins(%a, %as, %w, %ws : memref<?x64xi8>, memref<?xf32>, !tern.ternary<32x64, #tern.packing<lut3>>, f32) outs(%y : memref<?x32xf32>)
              {kernel = #tern.kernel<lut, lanes = 16, tile_n = 32, tile_m = 1, unroll_k = 1>}
  return
}

// -----

func.func @buffer_sizes(%p: !llvm.ptr, %m: index) {
  // expected-error @+1 {{expected 2 sizes for the dynamic dimensions, got 1}}
  %a = tern.buffer_from_ptr %p[%m] : memref<?x?xi8>
  return
}

// -----

func.func @buffer_layout(%p: !llvm.ptr) {
  // expected-error @+1 {{result must have an identity (row-major) layout}}
  %a = tern.buffer_from_ptr %p : memref<4x4xi8, strided<[1, 4]>>
  return
}

// -----

func.func @buffer_ternary_sizes(%p: !llvm.ptr, %m: index) {
  // expected-error @+1 {{a ternary result takes no sizes}}
  %w = tern.buffer_from_ptr %p[%m] : !tern.ternary<4x4, #tern.packing<i2>>
  return
}

// -----

func.func @dispatch_callee(%rt: !llvm.ptr, %n: index) {
  // expected-error @+1 {{'nowhere' does not name a function}}
  tern.parallel_dispatch @nowhere(%n) runtime(%rt)
  return
}

// -----

func.func private @wrong(%b: index, %e: index)
func.func @dispatch_signature(%rt: !llvm.ptr, %n: index, %x: f32) {
  // expected-error @+1 {{callee 'wrong' must take (index, index, captures...) and return nothing}}
  tern.parallel_dispatch @wrong(%n) runtime(%rt) captures(%x : f32)
  return
}

// -----

func.func private @kernel(%x: memref<?xf32>)
func.func @launch_threads(%rt: !llvm.ptr, %n: index, %x: memref<?xf32>) {
  // expected-error @+1 {{threads per block must be between 1 and 1024, got 2048}}
  tern.gpu_launch @kernel blocks(%n) threads(2048) runtime(%rt) args(%x : memref<?xf32>)
  return
}

// -----

func.func private @kernel(%x: memref<?xf32>)
func.func @launch_grid(%rt: !llvm.ptr, %n: index, %x: memref<?xf32>) {
  // expected-error @+1 {{takes one or two block counts (x, y), got 3}}
  tern.gpu_launch @kernel blocks(%n, %n, %n) threads(128) runtime(%rt) args(%x : memref<?xf32>)
  return
}

// -----

func.func private @kernel(%x: memref<?xf32>)
func.func @launch_signature(%rt: !llvm.ptr, %n: index, %y: f32) {
  // expected-error @+1 {{kernel 'kernel' must take the launch's arguments and return nothing}}
  tern.gpu_launch @kernel blocks(%n) threads(128) runtime(%rt) args(%y : f32)
  return
}

// -----

func.func @launch_nowhere(%rt: !llvm.ptr, %n: index) {
  // expected-error @+1 {{'nowhere' does not name a function}}
  tern.gpu_launch @nowhere blocks(%n) threads(128) runtime(%rt)
  return
}

// -----

// expected-error @+1 {{K (30) must be a multiple of 4, the group size of packing 'i2'}}
func.func private @ternary_group(!tern.ternary<16x30, #tern.packing<i2>>)

// -----

// expected-error @+1 {{ternary matrix must have rank 2 (N x K), got rank 3}}
func.func private @ternary_rank(!tern.ternary<2x16x32, #tern.packing<i2>>)

// -----

// expected-error @+1 {{ternary matrix dimensions must be positive, got 0x16}}
func.func private @ternary_empty(!tern.ternary<0x16, #tern.packing<i2>>)

// -----

// expected-error @+1 {{lanes must be 4, 8 or 16 (128-, 256- or 512-bit vectors), got 12}}
func.func private @kernel_lanes() attributes {k = #tern.kernel<mfree, lanes = 12, tile_n = 24, tile_m = 1, unroll_k = 1>}

// -----

// expected-error @+1 {{tile_n must be a positive multiple of lanes (16), got 40}}
func.func private @kernel_tile_n() attributes {k = #tern.kernel<mfree, lanes = 16, tile_n = 40, tile_m = 1, unroll_k = 1>}

// -----

// expected-error @+1 {{tile_m must be in [1, 8], got 0}}
func.func private @kernel_tile_m() attributes {k = #tern.kernel<mfree, lanes = 16, tile_n = 16, tile_m = 0, unroll_k = 1>}

// -----

// expected-error @+1 {{unroll_k must be in [1, 8], got 9}}
func.func private @kernel_unroll() attributes {k = #tern.kernel<mfree, lanes = 16, tile_n = 16, tile_m = 1, unroll_k = 9>}

// -----

// expected-error @+1 {{an mma kernel's lanes must be 8 (the rows of an MMA weight tile), got 16}}
func.func private @mma_lanes() attributes {k = #tern.kernel<mma, lanes = 16, tile_n = 32, tile_m = 1, unroll_k = 1>}

// -----

// expected-error @+1 {{an mma kernel takes tile_m <= 2 activation tiles and streams <= 4 weight tiles per warp, and does not prefetch; got tile_m = 3, streams = 1, prefetch = 0}}
func.func private @mma_tiles() attributes {k = #tern.kernel<mma, lanes = 8, tile_n = 32, tile_m = 3, unroll_k = 1>}

// -----

// expected-error @+1 {{an mma kernel's tile_n must be a multiple of 8 x streams (whole warps), got 24}}
func.func private @mma_warps() attributes {k = #tern.kernel<mma, lanes = 8, tile_n = 24, tile_m = 1, unroll_k = 1, streams = 2>}

// -----

// expected-error @+1 {{an amx kernel's lanes must be 16 (a tile row), got 8}}
func.func private @amx_lanes() attributes {k = #tern.kernel<amx, lanes = 8, tile_n = 32, tile_m = 1, unroll_k = 1>}

// -----

// expected-error @+1 {{an amx kernel's unroll_k (weight tiles per step) must divide 2 x tile_n / 16 = 8, got 3}}
func.func private @amx_groups() attributes {k = #tern.kernel<amx, lanes = 16, tile_n = 64, tile_m = 1, unroll_k = 3>}

// -----

// expected-error @+1 {{an amx kernel's tiles (tile_m + unroll_k + tile_m x unroll_k) must fit the 8 tile registers, got 11}}
func.func private @amx_registers() attributes {k = #tern.kernel<amx, lanes = 16, tile_n = 64, tile_m = 3, unroll_k = 2>}

// -----

// expected-error @+1 {{an amx kernel does not prefetch (prefetch = 0), got prefetch = 8}}
func.func private @amx_prefetch() attributes {k = #tern.kernel<amx, lanes = 16, tile_n = 32, tile_m = 1, unroll_k = 1, prefetch = 8>}

// -----

// expected-error @+2 {{expected ::tern::Packing to be one of: i2}}
// expected-error @+1 {{failed to parse Tern_PackingAttr parameter 'value'}}
func.func private @unknown_packing(!tern.ternary<16x32, #tern.packing<i3>>)

// -----

func.func @unpack_i2_plane(%p: vector<64xi8>) -> vector<64xi8> {
  // expected-error @+1 {{plane must be in [0, 4), got 4}}
  %w = tern.unpack_i2 %p {plane = 4} : vector<64xi8>
  return %w : vector<64xi8>
}

// -----

func.func @unpack_i2_bias(%p: vector<64xi8>) -> vector<64xi8> {
  // expected-error @+1 {{bias must be 0 (codes) or -1 (signed weights), got 1}}
  %w = tern.unpack_i2 %p {plane = 0, bias = 1} : vector<64xi8>
  return %w : vector<64xi8>
}
