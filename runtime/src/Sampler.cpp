//===- Sampler.cpp - choosing the next token ------------------------------===//
//
// As llama.cpp: repetition penalty on the recent tokens, then greedy when the
// temperature is 0, else top-k, temperature, top-p and a draw from a seeded
// generator (splitmix64, so a seed gives the same text on every machine).
//
//===----------------------------------------------------------------------===//
#include "runtime/include/tern/model.h"

#include <algorithm>
#include <cmath>
#include <deque>
#include <numeric>
#include <vector>

struct tern_sampler {
  tern_sampler_params params;
  uint64_t state;
  std::deque<int32_t> recent;
  std::vector<float> adjusted;
  std::vector<int32_t> order;

  double uniform() {
    uint64_t z = (state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    z ^= z >> 31;
    return static_cast<double>(z >> 11) * 0x1.0p-53;
  }

  void remember(int32_t token) {
    if (params.repeat_last_n <= 0)
      return;
    recent.push_back(token);
    while (static_cast<int32_t>(recent.size()) > params.repeat_last_n)
      recent.pop_front();
  }
};

extern "C" {

tern_sampler_params tern_sampler_default_params(void) {
  tern_sampler_params p;
  p.temperature = 0.8f;
  p.top_k = 40;
  p.top_p = 0.95f;
  p.repeat_penalty = 1.0f;
  p.repeat_last_n = 64;
  p.seed = 0;
  return p;
}

tern_sampler *tern_sampler_create(const tern_sampler_params *params) {
  auto *s = new tern_sampler();
  s->params = params ? *params : tern_sampler_default_params();
  s->state = s->params.seed;
  return s;
}

void tern_sampler_free(tern_sampler *sampler) { delete sampler; }

void tern_sampler_accept(tern_sampler *sampler, int32_t token) {
  if (sampler)
    sampler->remember(token);
}

int32_t tern_sampler_sample(tern_sampler *s, const float *logits, int64_t vocab) {
  const tern_sampler_params &p = s->params;
  s->adjusted.assign(logits, logits + vocab);
  std::vector<float> &l = s->adjusted;
  if (p.repeat_penalty != 1.0f)
    for (int32_t t : s->recent)
      if (t >= 0 && t < vocab)
        l[t] = l[t] > 0 ? l[t] / p.repeat_penalty : l[t] * p.repeat_penalty;

  int32_t chosen;
  if (p.temperature <= 0.0f) {
    chosen = static_cast<int32_t>(std::max_element(l.begin(), l.end()) - l.begin());
  } else {
    std::vector<int32_t> &order = s->order;
    order.resize(static_cast<size_t>(vocab));
    std::iota(order.begin(), order.end(), 0);
    int64_t k = p.top_k > 0 ? std::min<int64_t>(p.top_k, vocab) : vocab;
    auto byLogit = [&](int32_t a, int32_t b) { return l[a] > l[b] || (l[a] == l[b] && a < b); };
    std::partial_sort(order.begin(), order.begin() + k, order.end(), byLogit);
    order.resize(static_cast<size_t>(k));
    std::vector<double> probs(order.size());
    double top = l[order[0]] / p.temperature, total = 0;
    for (size_t i = 0; i < order.size(); ++i)
      total += probs[i] = std::exp(l[order[i]] / p.temperature - top);
    size_t keep = order.size();
    if (p.top_p < 1.0f) {
      double cumulative = 0;
      for (size_t i = 0; i < order.size(); ++i) {
        cumulative += probs[i] / total;
        if (cumulative >= p.top_p) {
          keep = i + 1;
          break;
        }
      }
    }
    double mass = std::accumulate(probs.begin(), probs.begin() + keep, 0.0);
    double draw = s->uniform() * mass;
    chosen = order[keep - 1];
    for (size_t i = 0; i < keep; ++i) {
      draw -= probs[i];
      if (draw < 0) {
        chosen = order[i];
        break;
      }
    }
  }
  s->remember(chosen);
  return chosen;
}

} // extern "C"
