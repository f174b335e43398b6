//===- TernBase.td - The tern dialect ----------------------*- tablegen -*-===//
#ifndef TERN_BASE_TD
#define TERN_BASE_TD

include "mlir/IR/OpBase.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/EnumAttr.td"

def Tern_Dialect : Dialect {
  let name = "tern";
  let cppNamespace = "::tern";
  let summary = "Ternary (1.58-bit) language models and their kernels";
  let description = [{
    The `tern` dialect describes a ternary language model at two levels.

    Model level: one op per layer of the network (`tern.embed`,
    `tern.rms_norm`, `tern.quantize`, `tern.bitlinear`, `tern.rope`,
    `tern.attention`, `tern.relu2`, `tern.mul`, `tern.add`, `tern.lm_head`),
    in destination-passing style on memrefs, with weights as named external
    resources (`tern.weight`).

    Kernel level: `tern.matmul`, a ternary x int8 matrix product whose packed
    weight operand (`!tern.ternary`) carries its packing and whose
    `#tern.kernel` attribute records the strategy and every parameter the
    compiler chose, plus the small ops the kernel lowerings emit
    (`tern.vdot`, `tern.buffer_from_ptr`, `tern.parallel_dispatch`).
  }];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect", "::mlir::memref::MemRefDialect"];
  let useDefaultAttributePrinterParser = 1;
  let useDefaultTypePrinterParser = 1;
}

class Tern_Op<string mnemonic, list<Trait> traits = []>
    : Op<Tern_Dialect, mnemonic, traits>;

#endif // TERN_BASE_TD
