//===- Statistics.h - rank correlation for cost-model validation -*- C++ -*-===//
#ifndef TERN_TOOLS_COMMON_STATISTICS_H
#define TERN_TOOLS_COMMON_STATISTICS_H

#include <vector>

namespace tern {

/// Spearman's rank correlation of two equally long series (average ranks
/// for ties); NaN when fewer than 3 or either series is constant.
double spearman(const std::vector<double> &a, const std::vector<double> &b);

} // namespace tern

#endif // TERN_TOOLS_COMMON_STATISTICS_H
