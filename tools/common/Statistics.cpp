//===- Statistics.cpp -----------------------------------------------------===//
#include "tools/common/Statistics.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace tern {

double spearman(const std::vector<double> &a, const std::vector<double> &b) {
  size_t n = a.size();
  if (n < 3 || b.size() != n)
    return std::nan("");
  auto ranks = [n](const std::vector<double> &v) {
    std::vector<size_t> order(n);
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(), [&](size_t x, size_t y) { return v[x] < v[y]; });
    std::vector<double> r(n);
    for (size_t i = 0; i < n;) {
      size_t j = i;
      while (j + 1 < n && v[order[j + 1]] == v[order[i]])
        ++j;
      for (size_t t = i; t <= j; ++t)
        r[order[t]] = (static_cast<double>(i + j) / 2.0) + 1.0;
      i = j + 1;
    }
    return r;
  };
  std::vector<double> ra = ranks(a), rb = ranks(b);
  double ma = std::accumulate(ra.begin(), ra.end(), 0.0) / n;
  double mb = std::accumulate(rb.begin(), rb.end(), 0.0) / n;
  double cov = 0, va = 0, vb = 0;
  for (size_t i = 0; i < n; ++i) {
    cov += (ra[i] - ma) * (rb[i] - mb);
    va += (ra[i] - ma) * (ra[i] - ma);
    vb += (rb[i] - mb) * (rb[i] - mb);
  }
  if (va == 0 || vb == 0)
    return std::nan("");
  return cov / std::sqrt(va * vb);
}

} // namespace tern
