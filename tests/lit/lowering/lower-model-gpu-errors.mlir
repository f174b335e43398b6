// tern-lower-model on a GPU target refuses what its kernels cannot hold: a
// query's attention scores live in shared memory, room for 5120 positions.
// RUN: tern-opt %s --tern-lower-model -split-input-file -verify-diagnostics

module attributes {tern.target = #llvm.target<triple = "nvptx64-nvidia-cuda", chip = "sm_90", features = <["+ptx80"]>>} {
func.func @long_cache(%q: memref<?x8xf32>, %kv: memref<?x8xf32>, %kc: memref<2x8192x4xf32>, %vc: memref<2x8192x4xf32>, %p: index, %out: memref<?x8xf32>) {
  // expected-error @+1 {{on a GPU keeps a query's scores in shared memory, room for 5120 cache positions; this KV cache has 8192 (compile with a smaller --context)}}
  tern.attention ins(%q, %kv, %kv, %kc, %vc, %p : memref<?x8xf32>, memref<?x8xf32>, memref<?x8xf32>, memref<2x8192x4xf32>, memref<2x8192x4xf32>)
                 outs(%out : memref<?x8xf32>) {num_heads = 2 : i64, num_kv_heads = 2 : i64, head_dim = 4 : i64}
  return
}
}
