// Every tern op, type and attribute parses, verifies, prints and parses again.
// RUN: tern-opt %s | tern-opt | FileCheck %s

// CHECK-LABEL: func.func @model_ops
func.func @model_ops(%tokens: memref<?xi32>, %pos: index, %ws: f32,
                     %x: memref<?x64xf32>, %h: memref<?x64xf32>, %q8: memref<?x64xi8>,
                     %qs: memref<?xf32>, %q: memref<?x64xf32>, %kv: memref<?x32xf32>,
                     %kc: memref<2x128x16xf16>, %vc: memref<2x128x16xf16>, %ff: memref<?x96xf32>,
                     %logits: memref<?x1000xf32>) {
  // CHECK: tern.weight "model.embed_tokens" : memref<1000x64xbf16>
  %table = tern.weight "model.embed_tokens" : memref<1000x64xbf16>
  // CHECK: tern.weight "model.norm" : memref<64xbf16>
  %gamma = tern.weight "model.norm" : memref<64xbf16>
  // CHECK: tern.weight "q_proj" : !tern.ternary<64x64, #tern.packing<i2>>
  %wq = tern.weight "q_proj" : !tern.ternary<64x64, #tern.packing<i2>>
  %wk = tern.weight "k_proj" : !tern.ternary<32x64, #tern.packing<i2>>
  %wu = tern.weight "up_proj" : !tern.ternary<96x64, #tern.packing<i2>>
  // CHECK: tern.embed ins(%{{.*}}, %{{.*}} : memref<1000x64xbf16>, memref<?xi32>) outs(%{{.*}} : memref<?x64xf32>)
  tern.embed ins(%table, %tokens : memref<1000x64xbf16>, memref<?xi32>) outs(%x : memref<?x64xf32>)
  // CHECK: tern.rms_norm {{.*}} {epsilon = 9.99999974E-6 : f32}
  tern.rms_norm ins(%x, %gamma : memref<?x64xf32>, memref<64xbf16>) outs(%h : memref<?x64xf32>) {epsilon = 1.0e-5 : f32}
  // CHECK: tern.quantize ins(%{{.*}} : memref<?x64xf32>) outs(%{{.*}}, %{{.*}} : memref<?x64xi8>, memref<?xf32>)
  tern.quantize ins(%h : memref<?x64xf32>) outs(%q8, %qs : memref<?x64xi8>, memref<?xf32>)
  // CHECK: tern.bitlinear ins({{.*}} : memref<?x64xf32>, !tern.ternary<64x64, #tern.packing<i2>>, f32) outs
  tern.bitlinear ins(%h, %wq, %ws : memref<?x64xf32>, !tern.ternary<64x64, #tern.packing<i2>>, f32) outs(%q : memref<?x64xf32>)
  tern.bitlinear ins(%h, %wk, %ws : memref<?x64xf32>, !tern.ternary<32x64, #tern.packing<i2>>, f32) outs(%kv : memref<?x32xf32>)
  // CHECK: tern.rope {{.*}} {head_dim = 16 : i64, theta = 5.000000e+05 : f32}
  tern.rope ins(%q, %pos : memref<?x64xf32>) outs(%q : memref<?x64xf32>) {head_dim = 16 : i64, theta = 500000.0 : f32}
  // CHECK: tern.attention {{.*}} {head_dim = 16 : i64, num_heads = 4 : i64, num_kv_heads = 2 : i64}
  tern.attention ins(%q, %kv, %kv, %kc, %vc, %pos : memref<?x64xf32>, memref<?x32xf32>, memref<?x32xf32>, memref<2x128x16xf16>, memref<2x128x16xf16>)
                 outs(%h : memref<?x64xf32>) {num_heads = 4 : i64, num_kv_heads = 2 : i64, head_dim = 16 : i64}
  tern.bitlinear ins(%h, %wu, %ws : memref<?x64xf32>, !tern.ternary<96x64, #tern.packing<i2>>, f32) outs(%ff : memref<?x96xf32>)
  // CHECK: tern.relu2
  tern.relu2 ins(%ff : memref<?x96xf32>) outs(%ff : memref<?x96xf32>)
  // CHECK: tern.mul
  tern.mul ins(%ff, %ff : memref<?x96xf32>, memref<?x96xf32>) outs(%ff : memref<?x96xf32>)
  // CHECK: tern.add
  tern.add ins(%x, %h : memref<?x64xf32>, memref<?x64xf32>) outs(%x : memref<?x64xf32>)
  // CHECK: tern.lm_head ins(%{{.*}}, %{{.*}} : memref<?x64xf32>, memref<1000x64xbf16>) outs(%{{.*}} : memref<?x1000xf32>)
  tern.lm_head ins(%x, %table : memref<?x64xf32>, memref<1000x64xbf16>) outs(%logits : memref<?x1000xf32>)
  return
}

// CHECK-LABEL: func.func @kernel_ops
func.func @kernel_ops(%rt: !llvm.ptr, %pa: !llvm.ptr, %pw: !llvm.ptr, %m: index, %ws: f32,
                      %acc: vector<16xi32>, %u: vector<64xi8>, %s: vector<64xi8>) -> vector<16xi32> {
  // CHECK: tern.buffer_from_ptr %{{.*}}[%{{.*}}] : memref<?x2560xi8>
  %a = tern.buffer_from_ptr %pa[%m] : memref<?x2560xi8>
  %as = tern.buffer_from_ptr %pa[%m] : memref<?xf32>
  %y = tern.buffer_from_ptr %pa[%m] : memref<?x640xf32>
  // CHECK: tern.buffer_from_ptr %{{.*}} : !tern.ternary<640x2560, #tern.packing<i2>>
  %w = tern.buffer_from_ptr %pw : !tern.ternary<640x2560, #tern.packing<i2>>
  // CHECK: tern.matmul {{.*}} {kernel = #tern.kernel<mfree, lanes = 16, tile_n = 32, tile_m = 4, unroll_k = 2>}
  tern.matmul ins(%a, %as, %w, %ws : memref<?x2560xi8>, memref<?xf32>, !tern.ternary<640x2560, #tern.packing<i2>>, f32)
              outs(%y : memref<?x640xf32>) {kernel = #tern.kernel<mfree, lanes = 16, tile_n = 32, tile_m = 4, unroll_k = 2>}
  // CHECK: tern.parallel_dispatch @body(%{{.*}}) runtime(%{{.*}}) captures(%{{.*}}, %{{.*}} : memref<?x2560xi8>, f32)
  tern.parallel_dispatch @body(%m) runtime(%rt) captures(%a, %ws : memref<?x2560xi8>, f32)
  // CHECK: tern.vdot %{{.*}}, %{{.*}}, %{{.*}} : vector<16xi32>, vector<64xi8>
  %r = tern.vdot %acc, %u, %s : vector<16xi32>, vector<64xi8>
  // CHECK: tern.vdot %{{.*}}, %{{.*}}, %{{.*}} {lhs_max = 255 : i64} : vector<16xi32>, vector<64xi8>
  %r2 = tern.vdot %r, %u, %s {lhs_max = 255} : vector<16xi32>, vector<64xi8>
  // CHECK: tern.add_pairs %{{.*}}, %{{.*}} : vector<16xi32>, vector<32xi16>
  %p16 = vector.bitcast %u : vector<64xi8> to vector<32xi16>
  %ap = tern.add_pairs %r2, %p16 : vector<16xi32>, vector<32xi16>
  // CHECK: tern.tdot %{{.*}}, %{{.*}}, %{{.*}} {packing = #tern.packing<base3>} : vector<16xi32>, vector<64xi8>, vector<20xi8>
  %x20 = vector.extract_strided_slice %s {offsets = [0], sizes = [20], strides = [1]} : vector<64xi8> to vector<20xi8>
  %td = tern.tdot %r, %u, %x20 {packing = #tern.packing<base3>} : vector<16xi32>, vector<64xi8>, vector<20xi8>
  // CHECK: tern.lookup16 %{{.*}}[%{{.*}}] : vector<16xi8>, vector<64xi8>
  %t = vector.extract_strided_slice %u {offsets = [0], sizes = [16], strides = [1]} : vector<64xi8> to vector<16xi8>
  %l = tern.lookup16 %t[%s] : vector<16xi8>, vector<64xi8>
  // CHECK: #tern.kernel<lut, lanes = 16, tile_n = 64, tile_m = 1, unroll_k = 2, prefetch = 8>
  %w3 = tern.buffer_from_ptr %pw : !tern.ternary<640x2560, #tern.packing<lut3>>
  tern.matmul ins(%a, %as, %w3, %ws : memref<?x2560xi8>, memref<?xf32>, !tern.ternary<640x2560, #tern.packing<lut3>>, f32)
              outs(%y : memref<?x640xf32>) {kernel = #tern.kernel<lut, lanes = 16, tile_n = 64, tile_m = 1, unroll_k = 2, prefetch = 8>}
  return %r2 : vector<16xi32>
}

func.func private @body(%begin: index, %end: index, %a: memref<?x2560xi8>, %s: f32)
