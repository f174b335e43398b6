//===- Svg.h - plain SVG figures, written by hand ----------------*- C++ -*-===//
//
// The figures of Tern's reports (tern-tune plot, tern-explore sweep): no
// plotting library, just SVG text.
//
//===----------------------------------------------------------------------===//
#ifndef TERN_TOOLS_COMMON_SVG_H
#define TERN_TOOLS_COMMON_SVG_H

#include <string>
#include <vector>

namespace tern::svg {

/// An <svg> header of the given size with a title; close with "</svg>\n".
std::string header(int width, int height, const std::string &title);
/// A text element; `extra` is more attributes.
std::string text(double x, double y, const std::string &s, const char *anchor = "middle",
                 const char *extra = "");
/// The i-th series colour.
const char *color(size_t i);

/// cells[y][x]; NaN: no value. Darker is higher.
std::string heatmap(const std::string &title, const std::string &xName,
                    const std::vector<std::string> &xs, const std::string &yName,
                    const std::vector<std::string> &ys,
                    const std::vector<std::vector<double>> &cells, const std::string &note);

/// Two bars per label (grey: before, blue: after), higher is better; the
/// ratio is printed above each pair.
std::string bars(const std::string &title, const std::vector<std::string> &labels,
                 const std::vector<double> &before, const std::vector<double> &after,
                 const std::string &legend);

struct Series {
  std::string name;
  std::vector<double> values; // one per x
};
/// Lines over shared x values, the y axis from zero.
std::string lines(const std::string &title, const std::string &xName,
                  const std::vector<double> &xs, const std::string &yName,
                  const std::vector<Series> &series);

} // namespace tern::svg

#endif // TERN_TOOLS_COMMON_SVG_H
