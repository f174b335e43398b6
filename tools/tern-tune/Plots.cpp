//===- Plots.cpp ----------------------------------------------------------===//
#include "tools/tern-tune/Plots.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <map>
#include <set>

namespace tern::plots {
namespace {

std::string escape(const std::string &s) {
  std::string out;
  for (char c : s)
    out += c == '<' ? "&lt;" : c == '>' ? "&gt;" : c == '&' ? "&amp;" : std::string(1, c);
  return out;
}

std::string header(int width, int height, const std::string &title) {
  return llvm::formatv("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{0}\" height=\"{1}\" "
                       "viewBox=\"0 0 {0} {1}\" font-family=\"sans-serif\" font-size=\"12\">\n"
                       "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
                       "<text x=\"{2}\" y=\"20\" text-anchor=\"middle\" font-size=\"14\" "
                       "font-weight=\"bold\">{3}</text>\n",
                       width, height, width / 2, escape(title))
      .str();
}

std::string text(double x, double y, const std::string &s, const char *anchor = "middle",
                 const char *extra = "") {
  return llvm::formatv("<text x=\"{0:f1}\" y=\"{1:f1}\" text-anchor=\"{2}\" {3}>{4}</text>\n", x, y,
                       anchor, extra, escape(s))
      .str();
}

const char *kPalette[] = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e",
                          "#8c564b", "#e377c2", "#17becf"};

} // namespace

std::string heatmap(const std::string &title, const std::string &xName,
                    const std::vector<int64_t> &xs, const std::string &yName,
                    const std::vector<int64_t> &ys, const std::vector<std::vector<double>> &cells,
                    const std::string &unit) {
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
    svg += text(left + cell * (x + 0.5), top + cell * ys.size() + 16, std::to_string(xs[x]));
  for (size_t y = 0; y < ys.size(); ++y)
    svg += text(left - 8, top + cell * (y + 0.5) + 4, std::to_string(ys[y]), "end");
  svg += text(left + cell * xs.size() / 2.0, top + cell * ys.size() + 36, xName + " (cells: " + unit + ", best over the other parameters)");
  svg += text(20, top + cell * ys.size() / 2.0, yName, "middle",
              llvm::formatv("transform=\"rotate(-90 20 {0:f1})\"", top + cell * ys.size() / 2.0)
                  .str()
                  .c_str());
  return svg + "</svg>\n";
}

std::string bars(const std::string &title, const std::vector<std::string> &labels,
                 const std::vector<double> &defaults, const std::vector<double> &tuned,
                 const std::string &unit) {
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
                           x + 32 * s, base - h, h, s == 0 ? "#aaaaaa" : kPalette[0]);
    }
    if (defaults[i] > 0)
      svg += text(x + 31, base - plotHeight * tuned[i] / hi - 6,
                  llvm::formatv("{0:f2}x", tuned[i] / defaults[i]).str());
    svg += text(x + 31, base + 16, labels[i]);
  }
  svg += text(left + 10, height - 30, "grey: documented default, blue: tuned (" + unit + ")",
              "start");
  return svg + "</svg>\n";
}

std::string convergence(const std::string &title, const std::vector<Series> &series) {
  const int left = 70, top = 50, plotWidth = 480, plotHeight = 240;
  int width = left + plotWidth + 220, height = top + plotHeight + 60;
  size_t longest = 1;
  for (const Series &s : series)
    longest = std::max(longest, s.values.size());
  std::string svg = header(width, height, title);
  double base = top + plotHeight;
  svg += llvm::formatv("<line x1=\"{0}\" y1=\"{1}\" x2=\"{2}\" y2=\"{1}\" stroke=\"black\"/>\n"
                       "<line x1=\"{0}\" y1=\"{3}\" x2=\"{0}\" y2=\"{1}\" stroke=\"black\"/>\n",
                       left, base, left + plotWidth, top);
  // y: best time so far relative to the first candidate's, from 0.4 to 1.0.
  const double lo = 0.4;
  for (int tick = 0; tick <= 3; ++tick) {
    double v = lo + (1.0 - lo) * tick / 3, y = base - plotHeight * tick / 3.0;
    svg += text(left - 6, y + 4, llvm::formatv("{0:f2}", v).str(), "end");
  }
  svg += text(left + plotWidth / 2.0, height - 14, "candidates measured");
  for (size_t i = 0; i < series.size(); ++i) {
    const Series &s = series[i];
    if (s.values.empty() || !(s.values[0] > 0))
      continue;
    std::string points;
    for (size_t j = 0; j < s.values.size(); ++j) {
      double rel = std::clamp(s.values[j] / s.values[0], lo, 1.0);
      double x = left + plotWidth * static_cast<double>(j) / static_cast<double>(longest - 1 ? longest - 1 : 1);
      double y = base - plotHeight * (rel - lo) / (1.0 - lo);
      points += llvm::formatv("{0:f1},{1:f1} ", x, y).str();
    }
    const char *color = kPalette[i % 8];
    svg += llvm::formatv("<polyline fill=\"none\" stroke=\"{0}\" stroke-width=\"2\" "
                         "points=\"{1}\"/>\n",
                         color, points);
    svg += llvm::formatv("<rect x=\"{0}\" y=\"{1}\" width=\"12\" height=\"12\" fill=\"{2}\"/>\n",
                         left + plotWidth + 16, top + 18 * i, color);
    svg += text(left + plotWidth + 34, top + 18 * i + 10, s.name, "start");
  }
  svg += text(left - 50, top - 10, "best / first", "start");
  return svg + "</svg>\n";
}

namespace {

std::string shapeName(const TuningKey &k) {
  return std::to_string(k.n) + "x" + std::to_string(k.k) + " m=" + std::to_string(k.m);
}

llvm::Error writeFile(const std::string &path, const std::string &text) {
  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec);
  if (ec)
    return llvm::createStringError("cannot write " + path + ": " + ec.message());
  os << text;
  return llvm::Error::success();
}

/// Throughput of a measurement: weight GB/s for m = 1, GOP/s otherwise.
double throughput(const TuningKey &key, const Measurement &m, double packedBytesPerWeight) {
  if (m.status != "ok" || m.medianUs <= 0)
    return NAN;
  if (key.m == 1)
    return static_cast<double>(key.n * key.k) * packedBytesPerWeight / (m.medianUs * 1e3);
  return 2.0 * static_cast<double>(key.m * key.n * key.k) / (m.medianUs * 1e3);
}

} // namespace

llvm::Expected<std::vector<std::string>> writeReport(TuningDb &db, const std::string &dir) {
  if (std::error_code ec = llvm::sys::fs::create_directories(dir))
    return llvm::createStringError("cannot create " + dir + ": " + ec.message());
  auto keys = db.keys();
  if (!keys)
    return keys.takeError();
  if (keys->empty())
    return llvm::createStringError("the tuning database has no measurements to plot");
  std::vector<std::string> files;
  std::string md = "# Tern tuning report\n\n";
  std::vector<std::string> labels;
  std::vector<double> defaults, tuned;
  std::vector<Series> curves;
  std::string table = "| shape | threads | default (us) | tuned (us) | speed-up | tuned kernel |\n"
                      "|---|---|---|---|---|---|\n";
  for (const TuningKey &key : *keys) {
    auto rows = db.measurements(key);
    if (!rows)
      return rows.takeError();
    const Measurement *best = nullptr, *fallback = nullptr;
    for (const Measurement &m : *rows) {
      if (m.status != "ok")
        continue;
      if (!best || m.medianUs < best->medianUs)
        best = &m;
      if (m.isDefault && (!fallback || m.medianUs < fallback->medianUs))
        fallback = &m;
    }
    if (!best)
      continue;
    std::string name = shapeName(key);
    if (fallback) {
      labels.push_back(name);
      defaults.push_back(1e3 / fallback->medianUs);
      tuned.push_back(1e3 / best->medianUs);
    }
    table += llvm::formatv("| {0} | {1} | {2} | {3:f1} | {4} | {5}/{6} `{7}` |\n", name, key.threads,
                           fallback ? llvm::formatv("{0:f1}", fallback->medianUs).str() : "-",
                           best->medianUs,
                           fallback ? llvm::formatv("{0:f2}x", fallback->medianUs / best->medianUs).str()
                                    : "-",
                           best->strategy, best->packing, best->kernel)
                 .str();
    // Convergence: best so far in measuring order (the order of seq).
    std::vector<const Measurement *> order;
    for (const Measurement &m : *rows)
      order.push_back(&m);
    std::sort(order.begin(), order.end(),
              [](const Measurement *a, const Measurement *b) { return a->seq < b->seq; });
    Series s{name + " t=" + std::to_string(key.threads), {}};
    double bestSoFar = INFINITY;
    for (const Measurement *m : order) {
      if (m->status == "ok")
        bestSoFar = std::min(bestSoFar, m->medianUs);
      if (std::isfinite(bestSoFar))
        s.values.push_back(bestSoFar);
    }
    curves.push_back(s);

    // Heatmap over tile_n and (prefetch for m = 1, tile_m otherwise).
    bool decode = key.m == 1;
    std::set<int64_t> xsSet, ysSet;
    for (const Measurement &m : *rows)
      if (m.status == "ok") {
        xsSet.insert(m.tileN);
        ysSet.insert(decode ? m.prefetch : m.tileM);
      }
    std::vector<int64_t> xs(xsSet.begin(), xsSet.end()), ys(ysSet.begin(), ysSet.end());
    if (xs.size() < 2 || ys.size() < 2)
      continue;
    std::vector<std::vector<double>> cells(ys.size(), std::vector<double>(xs.size(), NAN));
    for (const Measurement &m : *rows) {
      double bytesPerWeight = m.packing == "base3" ? 0.2 : m.packing == "lut3" ? 5.0 / 24 : 0.25;
      double v = throughput(key, m, bytesPerWeight);
      if (std::isnan(v))
        continue;
      size_t x = std::find(xs.begin(), xs.end(), m.tileN) - xs.begin();
      size_t y = std::find(ys.begin(), ys.end(), decode ? m.prefetch : m.tileM) - ys.begin();
      if (std::isnan(cells[y][x]) || v > cells[y][x])
        cells[y][x] = v;
    }
    std::string file = llvm::formatv("heatmap-{0}x{1}-m{2}-t{3}.svg", key.n, key.k, key.m,
                                     key.threads)
                           .str();
    if (llvm::Error e = writeFile(dir + "/" + file,
                                  heatmap(name + " on " + key.cpu + ", " +
                                              std::to_string(key.threads) + " thread(s)",
                                          "tile_n", xs, decode ? "prefetch" : "tile_m", ys, cells,
                                          decode ? "weight GB/s" : "GOP/s")))
      return std::move(e);
    files.push_back(dir + "/" + file);
    md += "![" + name + "](" + file + ")\n\n";
  }
  md = md + "## Tuned vs default\n\n" + table + "\n";
  if (!labels.empty()) {
    if (llvm::Error e = writeFile(dir + "/tuned-vs-default.svg",
                                  bars("Tuned vs documented default (calls per ms)", labels,
                                       defaults, tuned, "calls per ms")))
      return std::move(e);
    files.push_back(dir + "/tuned-vs-default.svg");
    md += "![tuned vs default](tuned-vs-default.svg)\n\n";
  }
  if (llvm::Error e = writeFile(dir + "/convergence.svg",
                                convergence("Search convergence (best time so far)", curves)))
    return std::move(e);
  files.push_back(dir + "/convergence.svg");
  md += "## Convergence\n\n![convergence](convergence.svg)\n";
  if (llvm::Error e = writeFile(dir + "/report.md", md))
    return std::move(e);
  files.push_back(dir + "/report.md");
  return files;
}

} // namespace tern::plots
