//===- tern-opt.cpp - the tern dialect's mlir-opt -------------------------===//
#include "compiler/pipeline/Registration.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  mlir::DialectRegistry registry;
  tern::registerTernDialects(registry);
  tern::registerTernPasses();
  return mlir::asMainReturnCode(mlir::MlirOptMain(
      argc, argv, "tern-opt: parse, verify and transform tern IR with Tern's passes\n", registry));
}
