//===- Svg.cpp ------------------------------------------------------------===//
#include "tools/common/Svg.h"

#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cmath>

namespace tern::svg {
namespace {

std::string escape(const std::string &s) {
  std::string out;
  for (char c : s)
    out += c == '<' ? "&lt;" : c == '>' ? "&gt;" : c == '&' ? "&amp;" : std::string(1, c);
  return out;
}

} // namespace

std::string header(int width, int height, const std::string &title) {
  return llvm::formatv("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{0}\" height=\"{1}\" "
                       "viewBox=\"0 0 {0} {1}\" font-family=\"sans-serif\" font-size=\"12\">\n"
                       "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
                       "<text x=\"{2}\" y=\"20\" text-anchor=\"middle\" font-size=\"14\" "
                       "font-weight=\"bold\">{3}</text>\n",
                       width, height, width / 2, escape(title))
      .str();
}

std::string text(double x, double y, const std::string &s, const char *anchor, const char *extra) {
  return llvm::formatv("<text x=\"{0:f1}\" y=\"{1:f1}\" text-anchor=\"{2}\" {3}>{4}</text>\n", x, y,
                       anchor, extra, escape(s))
      .str();
}

const char *color(size_t i) {
  static const char *const palette[] = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd",
                                        "#ff7f0e", "#8c564b", "#e377c2", "#17becf"};
  return palette[i % 8];
}

std::string heatmap(const std::string &title, const std::string &xName,
                    const std::vector<std::string> &xs, const std::string &yName,
                    const std::vector<std::string> &ys,
                    const std::vector<std::vector<double>> &cells, const std::string &note) {
  const int cell = 56, left = 90, top = 50;
  int width = left + cell * static_cast<int>(xs.size()) + 40;
  int height = top + cell * static_cast<int>(ys.size()) + 60;
  double lo = INFINITY, hi = -INFINITY;
  for (const auto &row : cells)
    for (double v : row)
      if (!std::isnan(v)) {
        lo = std::min(lo, v);
        hi = std::max(hi, v);
      }
  std::string svg = header(width, height, title);
  for (size_t y = 0; y < ys.size(); ++y)
    for (size_t x = 0; x < xs.size(); ++x) {
      double v = cells[y][x];
      double px = left + cell * static_cast<double>(x), py = top + cell * static_cast<double>(y);
      if (std::isnan(v)) {
        svg += llvm::formatv("<rect x=\"{0}\" y=\"{1}\" width=\"{2}\" height=\"{2}\" "
                             "fill=\"#eeeeee\" stroke=\"white\"/>\n",
                             px, py, cell);
        continue;
      }
      double t = hi > lo ? (v - lo) / (hi - lo) : 1.0;
      int shade = static_cast<int>(235 - 190 * t);
      svg += llvm::formatv("<rect x=\"{0}\" y=\"{1}\" width=\"{2}\" height=\"{2}\" "
                           "fill=\"rgb({3},{4},255)\" stroke=\"white\"/>\n",
                           px, py, cell, shade, shade + 10 > 255 ? 255 : shade + 10);
      svg += text(px + cell / 2.0, py + cell / 2.0 + 4, llvm::formatv("{0:f0}", v).str(), "middle",
                  t > 0.6 ? "fill=\"white\"" : "");
    }
  for (size_t x = 0; x < xs.size(); ++x)
    svg += text(left + cell * (x + 0.5), top + cell * ys.size() + 16, xs[x]);
  for (size_t y = 0; y < ys.size(); ++y)
    svg += text(left - 8, top + cell * (y + 0.5) + 4, ys[y], "end");
  svg += text(left + cell * xs.size() / 2.0, top + cell * ys.size() + 36, xName + " (" + note + ")");
  svg += text(20, top + cell * ys.size() / 2.0, yName, "middle",
              llvm::formatv("transform=\"rotate(-90 20 {0:f1})\"", top + cell * ys.size() / 2.0)
                  .str()
                  .c_str());
  return svg + "</svg>\n";
}

std::string bars(const std::string &title, const std::vector<std::string> &labels,
                 const std::vector<double> &defaults, const std::vector<double> &tuned,
                 const std::string &legend) {
  const int group = 90, left = 70, top = 50, plotHeight = 220;
  int width = left + group * static_cast<int>(labels.size()) + 40;
  int height = top + plotHeight + 90;
  double hi = 0;
  for (double v : defaults)
    hi = std::max(hi, v);
  for (double v : tuned)
    hi = std::max(hi, v);
  hi = hi > 0 ? hi * 1.1 : 1;
  std::string svg = header(width, height, title);
  double base = top + plotHeight;
  svg += llvm::formatv("<line x1=\"{0}\" y1=\"{1}\" x2=\"{2}\" y2=\"{1}\" stroke=\"black\"/>\n",
                       left, base, width - 20);
  for (int tick = 0; tick <= 4; ++tick) {
    double v = hi * tick / 4, y = base - plotHeight * tick / 4.0;
    svg += text(left - 6, y + 4, llvm::formatv("{0:f0}", v).str(), "end");
  }
  for (size_t i = 0; i < labels.size(); ++i) {
    double x = left + group * static_cast<double>(i) + 12;
    for (int s = 0; s < 2; ++s) {
      double v = s == 0 ? defaults[i] : tuned[i];
      double h = plotHeight * v / hi;
      svg += llvm::formatv("<rect x=\"{0:f1}\" y=\"{1:f1}\" width=\"30\" height=\"{2:f1}\" "
                           "fill=\"{3}\"/>\n",
                           x + 32 * s, base - h, h, s == 0 ? "#aaaaaa" : color(0));
    }
    if (defaults[i] > 0)
      svg += text(x + 31, base - plotHeight * tuned[i] / hi - 6,
                  llvm::formatv("{0:f2}x", tuned[i] / defaults[i]).str());
    svg += text(x + 31, base + 16, labels[i]);
  }
  svg += text(left + 10, height - 30, legend, "start");
  return svg + "</svg>\n";
}


std::string lines(const std::string &title, const std::string &xName,
                  const std::vector<double> &xs, const std::string &yName,
                  const std::vector<Series> &series) {
  const int left = 80, top = 50, plotWidth = 480, plotHeight = 240;
  int width = left + plotWidth + 240, height = top + plotHeight + 60;
  double xLo = INFINITY, xHi = -INFINITY, yHi = 0;
  for (double x : xs) {
    xLo = std::min(xLo, x);
    xHi = std::max(xHi, x);
  }
  for (const Series &s : series)
    for (double v : s.values)
      if (std::isfinite(v))
        yHi = std::max(yHi, v);
  yHi = yHi > 0 ? yHi * 1.1 : 1;
  auto px = [&](double x) { return left + (xHi > xLo ? plotWidth * (x - xLo) / (xHi - xLo) : 0.0); };
  auto py = [&](double y) { return top + plotHeight - plotHeight * y / yHi; };
  std::string svg = header(width, height, title);
  double base = top + plotHeight;
  svg += llvm::formatv("<line x1=\"{0}\" y1=\"{1}\" x2=\"{2}\" y2=\"{1}\" stroke=\"black\"/>\n"
                       "<line x1=\"{0}\" y1=\"{3}\" x2=\"{0}\" y2=\"{1}\" stroke=\"black\"/>\n",
                       left, base, left + plotWidth, top);
  for (int tick = 0; tick <= 4; ++tick) {
    double v = yHi * tick / 4;
    svg += text(left - 6, py(v) + 4, llvm::formatv("{0}", llvm::format("%.4g", v)).str(), "end");
  }
  for (double x : xs)
    svg += text(px(x), base + 16, llvm::formatv("{0}", llvm::format("%g", x)).str());
  svg += text(left + plotWidth / 2.0, height - 14, xName);
  svg += text(left - 60, top - 12, yName, "start");
  for (size_t i = 0; i < series.size(); ++i) {
    std::string points;
    for (size_t j = 0; j < xs.size() && j < series[i].values.size(); ++j)
      if (std::isfinite(series[i].values[j]))
        points += llvm::formatv("{0:f1},{1:f1} ", px(xs[j]), py(series[i].values[j])).str();
    svg += llvm::formatv("<polyline fill=\"none\" stroke=\"{0}\" stroke-width=\"2\" "
                         "points=\"{1}\"/>\n",
                         color(i), points);
    svg += llvm::formatv("<rect x=\"{0}\" y=\"{1}\" width=\"12\" height=\"12\" fill=\"{2}\"/>\n",
                         left + plotWidth + 16, top + 18 * i, color(i));
    svg += text(left + plotWidth + 34, top + 18 * i + 10, series[i].name, "start");
  }
  return svg + "</svg>\n";
}

} // namespace tern::svg
