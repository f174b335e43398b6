//===- TernModelOps.cpp - verifiers of the model-level tern ops -----------===//
#include "dialects/tern/TernDialect.h"
#include "dialects/tern/VerifyUtils.h"

#include <cmath>

using namespace mlir;
using namespace tern::detail;

namespace tern {

LogicalResult WeightOp::verify() {
  if (getName().empty())
    return emitOpError("weight name must not be empty");
  if (getOffset() && *getOffset() < 0)
    return emitOpError("offset must not be negative");
  if (getStride() && !getLayer())
    return emitOpError("stride needs a layer operand");
  if (getLayer() && getOffset() && !getStride())
    return emitOpError("a placed per-layer weight needs a stride");
  return success();
}

LogicalResult EmbedOp::verify() {
  if (failed(matchSizes(*this, "columns of 'out'", cols(getOut()), "columns of 'table'",
                        cols(getTable()))))
    return failure();
  return matchSizes(*this, "rows of 'out'", rows(getOut()), "number of 'tokens'",
                    rows(getTokens()));
}

LogicalResult RmsNormOp::verify() {
  float eps = getEpsilon().convertToFloat();
  if (!(eps > 0.0f) || !std::isfinite(eps))
    return emitOpError("epsilon must be positive and finite, got ") << eps;
  if (failed(matchSizes(*this, "length of 'gamma'", rows(getGamma()), "columns of 'x'",
                        cols(getX()))))
    return failure();
  return matchShapes(*this, "'out'", getOut().getType(), "'x'", getX().getType());
}

LogicalResult QuantizeOp::verify() {
  if (failed(matchShapes(*this, "'q'", getQ().getType(), "'x'", getX().getType())))
    return failure();
  return matchSizes(*this, "length of 'scale'", rows(getScale()), "rows of 'x'", rows(getX()));
}

LogicalResult BitLinearOp::verify() {
  TernaryType w = getWeight().getType();
  if (failed(matchSizes(*this, "columns of 'x'", cols(getX()), "K of 'weight'", w.getCols())) ||
      failed(matchSizes(*this, "columns of 'out'", cols(getOut()), "N of 'weight'", w.getRows())))
    return failure();
  if (failed(matchSizes(*this, "rows of 'out'", rows(getOut()), "rows of 'x'", rows(getX()))))
    return failure();
  if (std::optional<KernelAttr> kernel = getKernel();
      kernel && !strategySupportsPacking(kernel->getStrategy(), w.getPacking().getValue()))
    return emitOpError("strategy '") << stringifyStrategy(kernel->getStrategy())
                                     << "' cannot read packing '"
                                     << stringifyPacking(w.getPacking().getValue()) << "'";
  return success();
}

LogicalResult RopeOp::verify() {
  int64_t headDim = static_cast<int64_t>(getHeadDim());
  if (headDim <= 0 || headDim % 2 != 0)
    return emitOpError("head_dim must be positive and even, got ") << headDim;
  float theta = getTheta().convertToFloat();
  if (!(theta > 0.0f) || !std::isfinite(theta))
    return emitOpError("theta must be positive and finite, got ") << theta;
  int64_t width = cols(getX());
  if (ShapedType::isDynamic(width))
    return emitOpError("'x' must have a static number of columns");
  if (width % headDim != 0)
    return emitOpError("columns of 'x' (") << width << ") must be a multiple of head_dim ("
                                           << headDim << ")";
  return matchShapes(*this, "'out'", getOut().getType(), "'x'", getX().getType());
}

LogicalResult AttentionOp::verify() {
  int64_t heads = static_cast<int64_t>(getNumHeads());
  int64_t kvHeads = static_cast<int64_t>(getNumKvHeads());
  int64_t headDim = static_cast<int64_t>(getHeadDim());
  if (heads <= 0 || kvHeads <= 0 || headDim <= 0)
    return emitOpError("num_heads, num_kv_heads and head_dim must be positive");
  if (heads % kvHeads != 0)
    return emitOpError("num_heads (") << heads << ") must be a multiple of num_kv_heads ("
                                      << kvHeads << ")";
  if (failed(matchSizes(*this, "columns of 'q'", cols(getQ()), "num_heads * head_dim",
                        heads * headDim)) ||
      failed(matchSizes(*this, "columns of 'k'", cols(getK()), "num_kv_heads * head_dim",
                        kvHeads * headDim)) ||
      failed(matchShapes(*this, "'v'", getV().getType(), "'k'", getK().getType())) ||
      failed(matchSizes(*this, "rows of 'k'", rows(getK()), "rows of 'q'", rows(getQ()))) ||
      failed(matchShapes(*this, "'out'", getOut().getType(), "'q'", getQ().getType())) ||
      failed(matchSizes(*this, "heads of 'k_cache'", getKCache().getType().getDimSize(0),
                        "num_kv_heads", kvHeads)) ||
      failed(matchSizes(*this, "columns of 'k_cache'", getKCache().getType().getDimSize(2),
                        "head_dim", headDim)) ||
      failed(matchShapes(*this, "'v_cache'", getVCache().getType(), "'k_cache'",
                         getKCache().getType())))
    return failure();
  if (getKCache().getType().getElementType() != getVCache().getType().getElementType())
    return emitOpError("'k_cache' and 'v_cache' must have the same element type");
  return success();
}

/// The elementwise ops read inputs of one shape and write an output of it.
template <typename OpTy> static LogicalResult verifyElementwise(OpTy op) {
  Value out = op.getOut();
  for (auto [index, input] : llvm::enumerate(op->getOperands().drop_back()))
    if (failed(matchShapes(op, "'out'", cast<ShapedType>(out.getType()),
                           (Twine("input #") + Twine(index)).str(),
                           cast<ShapedType>(input.getType()))))
      return failure();
  return success();
}

LogicalResult Relu2Op::verify() { return verifyElementwise(*this); }
LogicalResult MulOp::verify() { return verifyElementwise(*this); }
LogicalResult AddOp::verify() { return verifyElementwise(*this); }

LogicalResult LmHeadOp::verify() {
  if (failed(matchSizes(*this, "columns of 'x'", cols(getX()), "columns of 'table'",
                        cols(getTable()))) ||
      failed(matchSizes(*this, "columns of 'logits'", cols(getLogits()), "rows of 'table'",
                        rows(getTable()))) ||
      failed(matchSizes(*this, "rows of 'logits'", rows(getLogits()), "rows of 'x'",
                        rows(getX()))))
    return failure();
  // An int8 table comes with one scale per row; other tables have none.
  bool int8 = getTable().getType().getElementType().isInteger(8);
  if (int8 && !getRowScale())
    return emitOpError("an int8 'table' needs 'row_scale', one scale per row");
  if (!int8 && getRowScale())
    return emitOpError("'row_scale' applies to an int8 'table' only");
  if (!getRowScale())
    return success();
  return matchSizes(*this, "length of 'row_scale'", rows(getRowScale()), "rows of 'table'",
                    rows(getTable()));
}

} // namespace tern
