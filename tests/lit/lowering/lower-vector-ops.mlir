// tern-lower-vector-ops picks the instructions of the module's target.
// RUN: tern-opt %s -split-input-file --tern-lower-vector-ops | FileCheck %s

// CHECK-LABEL: func.func @avx512_vnni
// CHECK:         llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"(%{{.*}}, %{{.*}}, %{{.*}}) : (vector<16xi32>, vector<64xi8>, vector<64xi8>) -> vector<16xi32>
// CHECK:         llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.256"
module attributes {tern.target = #llvm.target<triple = "x86_64-unknown-linux-gnu", chip = "x86-64-v4",
                   features = <["+avx2", "+avx512f", "+avx512bw", "+avx512vl", "+avx512vnni", "+ssse3"]>>} {
  func.func @avx512_vnni(%acc: vector<16xi32>, %u: vector<64xi8>, %s: vector<64xi8>,
                         %acc8: vector<8xi32>, %u8: vector<32xi8>) -> (vector<16xi32>, vector<8xi32>) {
    %r = tern.vdot %acc, %u, %s : vector<16xi32>, vector<64xi8>
    %r8 = tern.vdot %acc8, %u8, %u8 : vector<8xi32>, vector<32xi8>
    return %r, %r8 : vector<16xi32>, vector<8xi32>
  }
}

// -----

// Without VNNI: pmaddubsw to 16-bit pair sums, pmaddwd with ones to 32 bits.
// Full-range unsigned bytes would saturate pmaddubsw: those widen instead.
// Lookups: pshufb, the table repeated in each 128-bit lane.
// CHECK-LABEL: func.func @avx2
// CHECK:         %[[PAIRS:.*]] = llvm.call_intrinsic "llvm.x86.avx2.pmadd.ub.sw"(%{{.*}}, %{{.*}}) : (vector<32xi8>, vector<32xi8>) -> vector<16xi16>
// CHECK:         %[[QUADS:.*]] = llvm.call_intrinsic "llvm.x86.avx2.pmadd.wd"(%[[PAIRS]], %{{.*}}) : (vector<16xi16>, vector<16xi16>) -> vector<8xi32>
// CHECK:         arith.addi %{{.*}}, %[[QUADS]] : vector<8xi32>
// CHECK:         arith.extui %{{.*}} : vector<32xi8> to vector<32xi32>
// CHECK-NOT:     pmadd
// CHECK:         %[[TABLE:.*]] = vector.shuffle %[[T:.*]], %[[T]] [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15] : vector<16xi8>, vector<16xi8>
// CHECK:         llvm.call_intrinsic "llvm.x86.avx2.pshuf.b"(%[[TABLE]], %{{.*}}) : (vector<32xi8>, vector<32xi8>) -> vector<32xi8>
module attributes {tern.target = #llvm.target<triple = "x86_64-unknown-linux-gnu", chip = "x86-64-v3",
                   features = <["+avx2", "+ssse3"]>>} {
  func.func @avx2(%acc: vector<8xi32>, %u: vector<32xi8>, %s: vector<32xi8>, %t: vector<16xi8>)
      -> (vector<8xi32>, vector<8xi32>, vector<32xi8>) {
    %r = tern.vdot %acc, %u, %s : vector<8xi32>, vector<32xi8>
    %wide = tern.vdot %acc, %u, %s {lhs_max = 255} : vector<8xi32>, vector<32xi8>
    %l = tern.lookup16 %t[%u] : vector<16xi8>, vector<32xi8>
    return %r, %wide, %l : vector<8xi32>, vector<8xi32>, vector<32xi8>
  }
}

// -----

// CHECK-LABEL: func.func @avx512_lookup
// CHECK:         llvm.call_intrinsic "llvm.x86.avx512.pshuf.b.512"(%{{.*}}, %{{.*}}) : (vector<64xi8>, vector<64xi8>) -> vector<64xi8>
// CHECK:         llvm.call_intrinsic "llvm.x86.ssse3.pshuf.b.128"(%{{.*}}, %{{.*}}) : (vector<16xi8>, vector<16xi8>) -> vector<16xi8>
module attributes {tern.target = #llvm.target<triple = "x86_64-unknown-linux-gnu", chip = "x86-64-v4",
                   features = <["+avx2", "+avx512f", "+avx512bw", "+ssse3"]>>} {
  func.func @avx512_lookup(%t: vector<16xi8>, %i: vector<64xi8>, %j: vector<16xi8>) -> (vector<64xi8>, vector<16xi8>) {
    %l = tern.lookup16 %t[%i] : vector<16xi8>, vector<64xi8>
    %m = tern.lookup16 %t[%j] : vector<16xi8>, vector<16xi8>
    return %l, %m : vector<64xi8>, vector<16xi8>
  }
}

// -----

// AVX-VNNI gives the 256-bit vpdpbusd without AVX-512.
// CHECK-LABEL: func.func @avx_vnni
// CHECK:         llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.256"
module attributes {tern.target = #llvm.target<triple = "x86_64-unknown-linux-gnu", chip = "x86-64-v3",
                   features = <["+avx2", "+avxvnni"]>>} {
  func.func @avx_vnni(%acc: vector<8xi32>, %u: vector<32xi8>, %s: vector<32xi8>) -> vector<8xi32> {
    %r = tern.vdot %acc, %u, %s : vector<8xi32>, vector<32xi8>
    return %r : vector<8xi32>
  }
}

// -----

// sdot reads both operands as signed bytes: only for lhs_max <= 127. tbl
// looks up 16 bytes at a time.
// CHECK-LABEL: func.func @aarch64_dotprod
// CHECK:         arm_neon.intr.sdot %{{.*}}, %{{.*}}, %{{.*}} : vector<16xi8>, vector<16xi8> to vector<4xi32>
// CHECK:         arith.extui %{{.*}} : vector<16xi8> to vector<16xi32>
// CHECK-COUNT-2: llvm.call_intrinsic "llvm.aarch64.neon.tbl1"(%{{.*}}, %{{.*}}) : (vector<16xi8>, vector<16xi8>) -> vector<16xi8>
module attributes {tern.target = #llvm.target<triple = "aarch64-unknown-linux-gnu", chip = "cortex-a76",
                   features = <["+neon", "+dotprod"]>>} {
  func.func @aarch64_dotprod(%acc: vector<4xi32>, %u: vector<16xi8>, %s: vector<16xi8>, %t: vector<16xi8>,
                             %i: vector<32xi8>) -> (vector<4xi32>, vector<4xi32>, vector<32xi8>) {
    %r = tern.vdot %acc, %u, %s : vector<4xi32>, vector<16xi8>
    %wide = tern.vdot %acc, %u, %s {lhs_max = 200} : vector<4xi32>, vector<16xi8>
    %l = tern.lookup16 %t[%i] : vector<16xi8>, vector<32xi8>
    return %r, %wide, %l : vector<4xi32>, vector<4xi32>, vector<32xi8>
  }
}

// -----

// No target, or a width the target has no instruction for: widen, multiply,
// and add the four strided slices.
// CHECK-LABEL: func.func @generic
// CHECK:         arith.extui %{{.*}} : vector<4xi8> to vector<4xi32>
// CHECK:         arith.extsi %{{.*}} : vector<4xi8> to vector<4xi32>
// CHECK:         arith.muli
// CHECK-COUNT-4: vector.shuffle
// CHECK-NOT:     tern.vdot
func.func @generic(%acc: vector<1xi32>, %u: vector<4xi8>, %s: vector<4xi8>) -> vector<1xi32> {
  %r = tern.vdot %acc, %u, %s : vector<1xi32>, vector<4xi8>
  return %r : vector<1xi32>
}

// -----

// Without a byte shuffle, a lookup is a compare and select per table entry.
// CHECK-LABEL: func.func @generic_lookup
// CHECK-COUNT-16: arith.select
// CHECK-NOT:     tern.lookup16
func.func @generic_lookup(%t: vector<16xi8>, %i: vector<8xi8>) -> vector<8xi8> {
  %l = tern.lookup16 %t[%i] : vector<16xi8>, vector<8xi8>
  return %l : vector<8xi8>
}

// -----

// int16 accumulation: one vpmaddubsw and an add on x86; widening arithmetic
// in int16 elsewhere.
// CHECK-LABEL: func.func @pairs_avx2
// CHECK:         %[[PAIRS:.*]] = llvm.call_intrinsic "llvm.x86.avx2.pmadd.ub.sw"(%{{.*}}, %{{.*}}) : (vector<32xi8>, vector<32xi8>) -> vector<16xi16>
// CHECK-NOT:     pmadd.wd
// CHECK:         arith.addi %{{.*}}, %[[PAIRS]] : vector<16xi16>
// CHECK-LABEL: func.func @pairs_generic
// CHECK:         arith.extui %{{.*}} : vector<32xi8> to vector<32xi16>
// CHECK:         arith.muli %{{.*}}, %{{.*}} : vector<32xi16>
// CHECK-NOT:     llvm.call_intrinsic
// Folding int16 pairs into int32 sums: vpmaddwd by ones where the target has
// it, two shifts per half elsewhere.
// CHECK-LABEL: func.func @add_pairs_avx2
// CHECK:         %[[SUMS:.*]] = llvm.call_intrinsic "llvm.x86.avx2.pmadd.wd"(%{{.*}}, %{{.*}}) : (vector<16xi16>, vector<16xi16>) -> vector<8xi32>
// CHECK:         arith.addi %{{.*}}, %[[SUMS]] : vector<8xi32>
// CHECK-LABEL: func.func @add_pairs_generic
// CHECK:         vector.bitcast %{{.*}} : vector<4xi16> to vector<2xi32>
// CHECK:         arith.shli
// CHECK:         arith.shrsi
// CHECK:         arith.shrsi
// CHECK-NOT:     llvm.call_intrinsic
module attributes {tern.target = #llvm.target<triple = "x86_64-unknown-linux-gnu", chip = "x86-64-v3",
                   features = <["+avx2", "+ssse3"]>>} {
  func.func @pairs_avx2(%acc: vector<16xi16>, %u: vector<32xi8>, %s: vector<32xi8>) -> vector<16xi16> {
    %r = tern.vdot %acc, %u, %s {lhs_max = 2} : vector<16xi16>, vector<32xi8>
    return %r : vector<16xi16>
  }
  func.func @pairs_generic(%acc: vector<16xi16>, %u: vector<32xi8>, %s: vector<32xi8>) -> vector<16xi16> {
    %r = tern.vdot %acc, %u, %s {lhs_max = 200} : vector<16xi16>, vector<32xi8>
    return %r : vector<16xi16>
  }
  func.func @add_pairs_avx2(%acc: vector<8xi32>, %p: vector<16xi16>) -> vector<8xi32> {
    %r = tern.add_pairs %acc, %p : vector<8xi32>, vector<16xi16>
    return %r : vector<8xi32>
  }
  // No x86 register holds 64 bits of pairs.
  func.func @add_pairs_generic(%acc: vector<2xi32>, %p: vector<4xi16>) -> vector<2xi32> {
    %r = tern.add_pairs %acc, %p : vector<2xi32>, vector<4xi16>
    return %r : vector<2xi32>
  }
}

// -----

// tern.tdot has no hardware here: it becomes its definition, per plane a
// decode to {-1, 0, 1} (planes 1-3 of i2 shifted) and an int32 multiply-add of four activations broadcast
// to every lane. base3 digits come from x_s = 3^s x_0 by two compares.
// CHECK-LABEL: func.func @tdot_i2
// CHECK-COUNT-3: arith.shrui %{{.*}}, %{{.*}} : vector<64xi8>
// CHECK-NOT:     arith.shrui
// CHECK:         return
// CHECK-LABEL: func.func @tdot_base3
// CHECK:         arith.cmpi ugt, %{{.*}}, %{{.*}} : vector<32xi8>
// CHECK:         arith.muli %{{.*}}, %{{.*}} : vector<32xi32>
// CHECK-NOT:     tern.tdot
module attributes {tern.target = #llvm.target<triple = "x86_64-unknown-linux-gnu", chip = "x86-64-v3",
                   features = <["+avx2", "+ssse3"]>>} {
  func.func @tdot_i2(%acc: vector<16xi32>, %w: vector<64xi8>, %x: vector<16xi8>) -> vector<16xi32> {
    %r = tern.tdot %acc, %w, %x {packing = #tern.packing<i2>} : vector<16xi32>, vector<64xi8>, vector<16xi8>
    return %r : vector<16xi32>
  }
  func.func @tdot_base3(%acc: vector<8xi32>, %w: vector<32xi8>, %x: vector<20xi8>) -> vector<8xi32> {
    %r = tern.tdot %acc, %w, %x {packing = #tern.packing<base3>} : vector<8xi32>, vector<32xi8>, vector<20xi8>
    return %r : vector<8xi32>
  }
}

// -----

// tern.unpack_i2 with GFNI: one vgf2p8affineqb a plane, its 8 x 8 bit matrix
// in every qword. Signed weights of plane 1 (bias -1): bit 0 of the result is
// bit 2 of the byte, bits 1-7 bits 2 ^ 3 (0x04, then 0x0c in bytes 6..0),
// the constant 0xff; codes of plane 0: bits 0 and 1 (0x01, 0x02), no constant.
// CHECK-LABEL: func.func @gfni
// CHECK-DAG:     %[[SIGNED:.*]] = arith.constant dense<291621321753496588> : vector<8xi64>
// CHECK-DAG:     %[[CODES:.*]] = arith.constant dense<72620543991349248> : vector<4xi64>
// CHECK-DAG:     %[[MINUS1:.*]] = arith.constant -1 : i8
// CHECK-DAG:     %[[ZERO:.*]] = arith.constant 0 : i8
// CHECK:         %[[M1:.*]] = vector.bitcast %[[SIGNED]] : vector<8xi64> to vector<64xi8>
// CHECK:         llvm.call_intrinsic "llvm.x86.vgf2p8affineqb.512"(%{{.*}}, %[[M1]], %[[MINUS1]]) : (vector<64xi8>, vector<64xi8>, i8) -> vector<64xi8>
// CHECK:         %[[M0:.*]] = vector.bitcast %[[CODES]] : vector<4xi64> to vector<32xi8>
// CHECK:         llvm.call_intrinsic "llvm.x86.vgf2p8affineqb.256"(%{{.*}}, %[[M0]], %[[ZERO]]) : (vector<32xi8>, vector<32xi8>, i8) -> vector<32xi8>
module attributes {tern.target = #llvm.target<triple = "x86_64-unknown-linux-gnu", chip = "icelake-server",
                   features = <["+avx", "+avx2", "+avx512f", "+avx512bw", "+gfni"]>>} {
  func.func @gfni(%p: vector<64xi8>, %q: vector<32xi8>) -> (vector<64xi8>, vector<32xi8>) {
    %w = tern.unpack_i2 %p {plane = 1, bias = -1} : vector<64xi8>
    %c = tern.unpack_i2 %q {plane = 0} : vector<32xi8>
    return %w, %c : vector<64xi8>, vector<32xi8>
  }
}

// -----

// Without GFNI: shift, mask (not for plane 3) and the bias, a byte each.
// CHECK-LABEL: func.func @no_gfni
// CHECK:         %[[SHIFTED:.*]] = arith.shrui %{{.*}}, %{{.*}} : vector<32xi8>
// CHECK:         %[[CODE:.*]] = arith.andi %[[SHIFTED]], %{{.*}} : vector<32xi8>
// CHECK:         arith.addi %[[CODE]], %{{.*}} : vector<32xi8>
// CHECK:         %[[TOP:.*]] = arith.shrui %{{.*}}, %{{.*}} : vector<32xi8>
// CHECK-NEXT:    return %{{.*}}, %[[TOP]]
module attributes {tern.target = #llvm.target<triple = "x86_64-unknown-linux-gnu", chip = "x86-64-v3",
                   features = <["+avx", "+avx2"]>>} {
  func.func @no_gfni(%p: vector<32xi8>) -> (vector<32xi8>, vector<32xi8>) {
    %w = tern.unpack_i2 %p {plane = 2, bias = -1} : vector<32xi8>
    %c = tern.unpack_i2 %p {plane = 3} : vector<32xi8>
    return %w, %c : vector<32xi8>, vector<32xi8>
  }
}
