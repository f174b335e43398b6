//===- VerifyUtils.h - shared helpers of the tern op verifiers ---*- C++ -*-===//
#ifndef TERN_DIALECTS_TERN_VERIFYUTILS_H
#define TERN_DIALECTS_TERN_VERIFYUTILS_H

#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Operation.h"

namespace tern::detail {

/// Succeeds when the two sizes agree or either is dynamic; otherwise emits
/// "<lhsName> (<lhs>) does not match <rhsName> (<rhs>)".
inline mlir::LogicalResult matchSizes(mlir::Operation *op, llvm::StringRef lhsName, int64_t lhs,
                                      llvm::StringRef rhsName, int64_t rhs) {
  if (mlir::ShapedType::isDynamic(lhs) || mlir::ShapedType::isDynamic(rhs) || lhs == rhs)
    return mlir::success();
  return op->emitOpError() << lhsName << " (" << lhs << ") does not match " << rhsName << " ("
                           << rhs << ")";
}

/// Both shapes have the same rank and compatible sizes.
inline mlir::LogicalResult matchShapes(mlir::Operation *op, llvm::StringRef lhsName,
                                       mlir::ShapedType lhs, llvm::StringRef rhsName,
                                       mlir::ShapedType rhs) {
  if (lhs.getRank() != rhs.getRank())
    return op->emitOpError() << "rank of " << lhsName << " (" << lhs.getRank()
                             << ") does not match rank of " << rhsName << " (" << rhs.getRank()
                             << ")";
  for (int64_t d = 0; d < lhs.getRank(); ++d)
    if (mlir::failed(matchSizes(op, (llvm::Twine("dimension ") + llvm::Twine(d) + " of " + lhsName).str(),
                                lhs.getDimSize(d),
                                (llvm::Twine("dimension ") + llvm::Twine(d) + " of " + rhsName).str(),
                                rhs.getDimSize(d))))
      return mlir::failure();
  return mlir::success();
}

inline int64_t rows(mlir::Value v) { return llvm::cast<mlir::ShapedType>(v.getType()).getDimSize(0); }
inline int64_t cols(mlir::Value v) { return llvm::cast<mlir::ShapedType>(v.getType()).getDimSize(1); }

} // namespace tern::detail

#endif // TERN_DIALECTS_TERN_VERIFYUTILS_H
