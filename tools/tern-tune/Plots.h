//===- Plots.h - SVG figures and a Markdown report of tuning data -*- C++ -*-===//
//
// A heatmap of throughput over two parameters, tuned vs default per shape,
// and a search's convergence (best time so far against candidates measured),
// as SVG (tools/common/Svg.h).
//
//===----------------------------------------------------------------------===//
#ifndef TERN_TOOLS_TERNTUNE_PLOTS_H
#define TERN_TOOLS_TERNTUNE_PLOTS_H

#include "compiler/tuning/TuningDb.h"
#include "tools/common/Svg.h"

#include <cmath>
#include <string>
#include <vector>

namespace tern::plots {

/// Best time so far (relative to the first candidate) against candidates.
std::string convergence(const std::string &title, const std::vector<svg::Series> &series);

/// Writes DIR/heatmap-*.svg, DIR/tuned-vs-default.svg,
/// DIR/convergence.svg and DIR/report.md embedding them; returns the files
/// written.
llvm::Expected<std::vector<std::string>> writeReport(TuningDb &db, const std::string &dir);

} // namespace tern::plots

#endif // TERN_TOOLS_TERNTUNE_PLOTS_H
