//===- Plots.h - SVG figures and a Markdown report of tuning data -*- C++ -*-===//
//
// Plain SVG written by hand (no plotting library): a heatmap of throughput
// over two parameters, tuned vs default per shape, and a search's
// convergence (best time so far against candidates measured).
//
//===----------------------------------------------------------------------===//
#ifndef TERN_TOOLS_TERNTUNE_PLOTS_H
#define TERN_TOOLS_TERNTUNE_PLOTS_H

#include "compiler/tuning/TuningDb.h"

#include <cmath>
#include <string>
#include <vector>

namespace tern::plots {

/// cells[y][x]; NaN: not measured. Darker is higher.
std::string heatmap(const std::string &title, const std::string &xName,
                    const std::vector<int64_t> &xs, const std::string &yName,
                    const std::vector<int64_t> &ys, const std::vector<std::vector<double>> &cells,
                    const std::string &unit);

/// Two bars per label (default, tuned), higher is better.
std::string bars(const std::string &title, const std::vector<std::string> &labels,
                 const std::vector<double> &defaults, const std::vector<double> &tuned,
                 const std::string &unit);

struct Series {
  std::string name;
  std::vector<double> values; // best so far after each candidate
};
/// Best time so far (relative to the first candidate) against candidates.
std::string convergence(const std::string &title, const std::vector<Series> &series);

/// Writes DIR/heatmap-*.svg, DIR/tuned-vs-default.svg,
/// DIR/convergence.svg and DIR/report.md embedding them; returns the files
/// written.
llvm::Expected<std::vector<std::string>> writeReport(TuningDb &db, const std::string &dir);

} // namespace tern::plots

#endif // TERN_TOOLS_TERNTUNE_PLOTS_H
