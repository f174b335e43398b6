//===- TernDialect.cpp - tern dialect registration -------------------------===//
#include "dialects/tern/TernDialect.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace tern;

#include "dialects/tern/TernDialect.cpp.inc"
#include "dialects/tern/TernEnums.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "dialects/tern/TernAttrs.cpp.inc"

#define GET_TYPEDEF_CLASSES
#include "dialects/tern/TernTypes.cpp.inc"

void TernDialect::initialize() {
  addAttributes<
#define GET_ATTRDEF_LIST
#include "dialects/tern/TernAttrs.cpp.inc"
      >();
  addTypes<
#define GET_TYPEDEF_LIST
#include "dialects/tern/TernTypes.cpp.inc"
      >();
  addOperations<
#define GET_OP_LIST
#include "dialects/tern/TernOps.cpp.inc"
      >();
}
