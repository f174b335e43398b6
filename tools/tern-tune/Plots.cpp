//===- Plots.cpp ----------------------------------------------------------===//
#include "tools/tern-tune/Plots.h"
#include "tools/common/Svg.h"
#include "tools/common/TextFile.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <map>
#include <set>

namespace tern::plots {

std::string convergence(const std::string &title, const std::vector<svg::Series> &series) {
  size_t longest = 1;
  for (const svg::Series &s : series)
    longest = std::max(longest, s.values.size());
  std::vector<double> xs;
  for (size_t j = 0; j < longest; ++j)
    xs.push_back(static_cast<double>(j + 1));
  std::vector<svg::Series> relative;
  for (const svg::Series &s : series) {
    if (s.values.empty() || !(s.values[0] > 0))
      continue;
    svg::Series r{s.name, {}};
    for (double v : s.values)
      r.values.push_back(v / s.values[0]);
    relative.push_back(std::move(r));
  }
  return svg::lines(title, "candidates measured", xs, "best / first", relative);
}

namespace {

std::vector<std::string> labelsOf(const std::vector<int64_t> &values) {
  std::vector<std::string> labels;
  for (int64_t v : values)
    labels.push_back(std::to_string(v));
  return labels;
}

std::string shapeName(const TuningKey &k) {
  return std::to_string(k.n) + "x" + std::to_string(k.k) + " m=" + std::to_string(k.m);
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
  std::vector<svg::Series> curves;
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
    svg::Series s{name + " t=" + std::to_string(key.threads), {}};
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
    if (llvm::Error e = writeTextFile(dir + "/" + file,
                                       svg::heatmap(name + " on " + key.cpu + ", " +
                                                        std::to_string(key.threads) + " thread(s)",
                                                    "tile_n", labelsOf(xs), decode ? "prefetch" : "tile_m",
                                                    labelsOf(ys), cells,
                                                    std::string("cells: ") +
                                                        (decode ? "weight GB/s" : "GOP/s") +
                                                        ", best over the other parameters")))
      return std::move(e);
    files.push_back(dir + "/" + file);
    md += "![" + name + "](" + file + ")\n\n";
  }
  md = md + "## Tuned vs default\n\n" + table + "\n";
  if (!labels.empty()) {
    if (llvm::Error e = writeTextFile(dir + "/tuned-vs-default.svg",
                                       svg::bars("Tuned vs documented default (calls per ms)", labels,
                                                 defaults, tuned,
                                                 "grey: documented default, blue: tuned (calls per ms)")))
      return std::move(e);
    files.push_back(dir + "/tuned-vs-default.svg");
    md += "![tuned vs default](tuned-vs-default.svg)\n\n";
  }
  if (llvm::Error e = writeTextFile(dir + "/convergence.svg",
                                convergence("Search convergence (best time so far)", curves)))
    return std::move(e);
  files.push_back(dir + "/convergence.svg");
  md += "## Convergence\n\n![convergence](convergence.svg)\n";
  if (llvm::Error e = writeTextFile(dir + "/report.md", md))
    return std::move(e);
  files.push_back(dir + "/report.md");
  return files;
}

} // namespace tern::plots
