// Every verifier error of the model-level ops.
// RUN: tern-opt %s -split-input-file -verify-diagnostics

func.func @empty_weight_name() {
  // expected-error @+1 {{weight name must not be empty}}
  %w = tern.weight "" : memref<4xf32>
  return
}

// -----

func.func @weight_not_static(%n: index) {
  // expected-error @+1 {{result #0 must be statically shaped memref of any type values or packed ternary matrix}}
  %w = tern.weight "w" : memref<?xf32>
  return
}

// -----

func.func @weight_stride_without_layer() {
  // expected-error @+1 {{stride needs a layer operand}}
  %w = tern.weight "w" {offset = 0 : i64, stride = 64 : i64} : memref<4xf32>
  return
}

// -----

func.func @weight_placed_layer_without_stride(%l: index) {
  // expected-error @+1 {{a placed per-layer weight needs a stride}}
  %w = tern.weight "layers.w"[%l] {offset = 0 : i64} : memref<4xf32>
  return
}

// -----

func.func @embed_width(%t: memref<100x64xbf16>, %tok: memref<?xi32>, %out: memref<?x32xf32>) {
  // expected-error @+1 {{columns of 'out' (32) does not match columns of 'table' (64)}}
  tern.embed ins(%t, %tok : memref<100x64xbf16>, memref<?xi32>) outs(%out : memref<?x32xf32>)
  return
}

// -----

func.func @embed_rows(%t: memref<100x64xbf16>, %tok: memref<3xi32>, %out: memref<4x64xf32>) {
  // expected-error @+1 {{rows of 'out' (4) does not match number of 'tokens' (3)}}
  tern.embed ins(%t, %tok : memref<100x64xbf16>, memref<3xi32>) outs(%out : memref<4x64xf32>)
  return
}

// -----

func.func @embed_table_type(%t: memref<100x64xi8>, %tok: memref<?xi32>, %out: memref<?x64xf32>) {
  // expected-error @+1 {{operand #0 must be 2D memref of bfloat16 type or 16-bit float or 32-bit float values}}
  tern.embed ins(%t, %tok : memref<100x64xi8>, memref<?xi32>) outs(%out : memref<?x64xf32>)
  return
}

// -----

func.func @norm_eps(%x: memref<?x64xf32>, %g: memref<64xf32>) {
  // expected-error @+1 {{epsilon must be positive and finite}}
  tern.rms_norm ins(%x, %g : memref<?x64xf32>, memref<64xf32>) outs(%x : memref<?x64xf32>) {epsilon = 0.0 : f32}
  return
}

// -----

func.func @norm_gamma(%x: memref<?x64xf32>, %g: memref<32xf32>) {
  // expected-error @+1 {{length of 'gamma' (32) does not match columns of 'x' (64)}}
  tern.rms_norm ins(%x, %g : memref<?x64xf32>, memref<32xf32>) outs(%x : memref<?x64xf32>) {epsilon = 1.0e-5 : f32}
  return
}

// -----

func.func @norm_out(%x: memref<4x64xf32>, %g: memref<64xf32>, %y: memref<5x64xf32>) {
  // expected-error @+1 {{dimension 0 of 'out' (5) does not match dimension 0 of 'x' (4)}}
  tern.rms_norm ins(%x, %g : memref<4x64xf32>, memref<64xf32>) outs(%y : memref<5x64xf32>) {epsilon = 1.0e-5 : f32}
  return
}

// -----

func.func @quantize_type(%x: memref<?x64xf32>, %q: memref<?x64xi16>, %s: memref<?xf32>) {
  // expected-error @+1 {{operand #1 must be 2D memref of 8-bit signless integer values}}
  tern.quantize ins(%x : memref<?x64xf32>) outs(%q, %s : memref<?x64xi16>, memref<?xf32>)
  return
}

// -----

func.func @quantize_missing_scales(%x: memref<8x64xf32>, %q: memref<8x64xi8>, %s: memref<4xf32>) {
  // expected-error @+1 {{length of 'scale' (4) does not match rows of 'x' (8)}}
  tern.quantize ins(%x : memref<8x64xf32>) outs(%q, %s : memref<8x64xi8>, memref<4xf32>)
  return
}

// -----

func.func @bitlinear_k(%x: memref<?x60xf32>, %w: !tern.ternary<32x64, #tern.packing<i2>>, %s: f32, %y: memref<?x32xf32>) {
  // expected-error @+1 {{columns of 'x' (60) does not match K of 'weight' (64)}}
  tern.bitlinear ins(%x, %w, %s : memref<?x60xf32>, !tern.ternary<32x64, #tern.packing<i2>>, f32) outs(%y : memref<?x32xf32>)
  return
}

// -----

func.func @bitlinear_n(%x: memref<?x64xf32>, %w: !tern.ternary<32x64, #tern.packing<i2>>, %s: f32, %y: memref<?x33xf32>) {
  // expected-error @+1 {{columns of 'out' (33) does not match N of 'weight' (32)}}
  tern.bitlinear ins(%x, %w, %s : memref<?x64xf32>, !tern.ternary<32x64, #tern.packing<i2>>, f32) outs(%y : memref<?x33xf32>)
  return
}

// -----

func.func @bitlinear_scale_type(%x: memref<?x64xf32>, %w: !tern.ternary<32x64, #tern.packing<i2>>, %s: f16, %y: memref<?x32xf32>) {
  // expected-error @+1 {{operand #2 must be 32-bit float}}
  tern.bitlinear ins(%x, %w, %s : memref<?x64xf32>, !tern.ternary<32x64, #tern.packing<i2>>, f16) outs(%y : memref<?x32xf32>)
  return
}

// -----

func.func @rope_odd_head(%x: memref<?x64xf32>, %p: index) {
  // expected-error @+1 {{head_dim must be positive and even, got 15}}
  tern.rope ins(%x, %p : memref<?x64xf32>) outs(%x : memref<?x64xf32>) {head_dim = 15 : i64, theta = 10000.0 : f32}
  return
}

// -----

func.func @rope_width(%x: memref<?x72xf32>, %p: index) {
  // expected-error @+1 {{columns of 'x' (72) must be a multiple of head_dim (16)}}
  tern.rope ins(%x, %p : memref<?x72xf32>) outs(%x : memref<?x72xf32>) {head_dim = 16 : i64, theta = 10000.0 : f32}
  return
}

// -----

func.func @rope_theta(%x: memref<?x64xf32>, %p: index) {
  // expected-error @+1 {{theta must be positive and finite}}
  tern.rope ins(%x, %p : memref<?x64xf32>) outs(%x : memref<?x64xf32>) {head_dim = 16 : i64, theta = -1.0 : f32}
  return
}

// -----

func.func @attention_groups(%q: memref<?x48xf32>, %kv: memref<?x32xf32>, %c: memref<2x64x16xf32>, %p: index) {
  // expected-error @+1 {{num_heads (3) must be a multiple of num_kv_heads (2)}}
  tern.attention ins(%q, %kv, %kv, %c, %c, %p : memref<?x48xf32>, memref<?x32xf32>, memref<?x32xf32>, memref<2x64x16xf32>, memref<2x64x16xf32>)
                 outs(%q : memref<?x48xf32>) {num_heads = 3 : i64, num_kv_heads = 2 : i64, head_dim = 16 : i64}
  return
}

// -----

func.func @attention_q(%q: memref<?x60xf32>, %kv: memref<?x32xf32>, %c: memref<2x64x16xf32>, %p: index) {
  // expected-error @+1 {{columns of 'q' (60) does not match num_heads * head_dim (64)}}
  tern.attention ins(%q, %kv, %kv, %c, %c, %p : memref<?x60xf32>, memref<?x32xf32>, memref<?x32xf32>, memref<2x64x16xf32>, memref<2x64x16xf32>)
                 outs(%q : memref<?x60xf32>) {num_heads = 4 : i64, num_kv_heads = 2 : i64, head_dim = 16 : i64}
  return
}

// -----

func.func @attention_cache(%q: memref<?x64xf32>, %kv: memref<?x32xf32>, %c: memref<2x64x24xf32>, %p: index) {
  // expected-error @+1 {{columns of 'k_cache' (24) does not match head_dim (16)}}
  tern.attention ins(%q, %kv, %kv, %c, %c, %p : memref<?x64xf32>, memref<?x32xf32>, memref<?x32xf32>, memref<2x64x24xf32>, memref<2x64x24xf32>)
                 outs(%q : memref<?x64xf32>) {num_heads = 4 : i64, num_kv_heads = 2 : i64, head_dim = 16 : i64}
  return
}

// -----

func.func @attention_cache_heads(%q: memref<?x64xf32>, %kv: memref<?x32xf32>, %c: memref<4x64x16xf32>, %p: index) {
  // expected-error @+1 {{heads of 'k_cache' (4) does not match num_kv_heads (2)}}
  tern.attention ins(%q, %kv, %kv, %c, %c, %p : memref<?x64xf32>, memref<?x32xf32>, memref<?x32xf32>, memref<4x64x16xf32>, memref<4x64x16xf32>)
                 outs(%q : memref<?x64xf32>) {num_heads = 4 : i64, num_kv_heads = 2 : i64, head_dim = 16 : i64}
  return
}

// -----

func.func @attention_cache_types(%q: memref<?x64xf32>, %kv: memref<?x32xf32>, %kc: memref<2x64x16xf32>, %vc: memref<2x64x16xf16>, %p: index) {
  // expected-error @+1 {{'k_cache' and 'v_cache' must have the same element type}}
  tern.attention ins(%q, %kv, %kv, %kc, %vc, %p : memref<?x64xf32>, memref<?x32xf32>, memref<?x32xf32>, memref<2x64x16xf32>, memref<2x64x16xf16>)
                 outs(%q : memref<?x64xf32>) {num_heads = 4 : i64, num_kv_heads = 2 : i64, head_dim = 16 : i64}
  return
}

// -----

func.func @elementwise_shape(%a: memref<?x64xf32>, %b: memref<?x32xf32>) {
  // expected-error @+1 {{dimension 1 of 'out' (64) does not match dimension 1 of input #1 (32)}}
  tern.mul ins(%a, %b : memref<?x64xf32>, memref<?x32xf32>) outs(%a : memref<?x64xf32>)
  return
}

// -----

func.func @relu2_shape(%a: memref<4x64xf32>, %b: memref<3x64xf32>) {
  // expected-error @+1 {{dimension 0 of 'out' (3) does not match dimension 0 of input #0 (4)}}
  tern.relu2 ins(%a : memref<4x64xf32>) outs(%b : memref<3x64xf32>)
  return
}

// -----

func.func @lm_head_vocab(%x: memref<?x64xf32>, %t: memref<1000x64xbf16>, %l: memref<?x999xf32>) {
  // expected-error @+1 {{columns of 'logits' (999) does not match rows of 'table' (1000)}}
  tern.lm_head ins(%x, %t : memref<?x64xf32>, memref<1000x64xbf16>) outs(%l : memref<?x999xf32>)
  return
}

// -----

func.func @lm_head_int8_without_scales(%x: memref<?x64xf32>, %t: memref<1000x64xi8>, %l: memref<?x1000xf32>) {
  // expected-error @+1 {{an int8 'table' needs 'row_scale', one scale per row}}
  tern.lm_head ins(%x, %t : memref<?x64xf32>, memref<1000x64xi8>) outs(%l : memref<?x1000xf32>)
  return
}

// -----

func.func @lm_head_bf16_with_scales(%x: memref<?x64xf32>, %t: memref<1000x64xbf16>, %l: memref<?x1000xf32>, %s: memref<1000xf32>) {
  // expected-error @+1 {{'row_scale' applies to an int8 'table' only}}
  tern.lm_head ins(%x, %t : memref<?x64xf32>, memref<1000x64xbf16>) outs(%l : memref<?x1000xf32>) row_scale(%s : memref<1000xf32>)
  return
}

// -----

func.func @lm_head_scales_per_row(%x: memref<?x64xf32>, %t: memref<1000x64xi8>, %l: memref<?x1000xf32>, %s: memref<999xf32>) {
  // expected-error @+1 {{length of 'row_scale' (999) does not match rows of 'table' (1000)}}
  tern.lm_head ins(%x, %t : memref<?x64xf32>, memref<1000x64xi8>) outs(%l : memref<?x1000xf32>) row_scale(%s : memref<999xf32>)
  return
}
