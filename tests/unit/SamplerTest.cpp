//===- SamplerTest.cpp - greedy, top-k, top-p, penalty, seeds -------------===//
#include "tern/model.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <memory>
#include <vector>

namespace {

struct SamplerDeleter {
  void operator()(tern_sampler *s) const { tern_sampler_free(s); }
};
using Sampler = std::unique_ptr<tern_sampler, SamplerDeleter>;

Sampler make(float temperature, int32_t topK = 0, float topP = 1.0f, float penalty = 1.0f,
             uint64_t seed = 1) {
  tern_sampler_params p = tern_sampler_default_params();
  p.temperature = temperature;
  p.top_k = topK;
  p.top_p = topP;
  p.repeat_penalty = penalty;
  p.seed = seed;
  return Sampler(tern_sampler_create(&p));
}

const std::vector<float> kLogits = {1.0f, 3.0f, 2.5f, -1.0f, 0.5f, 2.9f};

TEST(SamplerTest, DefaultsAreLlamaCpps) {
  tern_sampler_params p = tern_sampler_default_params();
  EXPECT_FLOAT_EQ(p.temperature, 0.8f);
  EXPECT_EQ(p.top_k, 40);
  EXPECT_FLOAT_EQ(p.top_p, 0.95f);
  EXPECT_FLOAT_EQ(p.repeat_penalty, 1.0f);
  EXPECT_EQ(p.repeat_last_n, 64);
}

TEST(SamplerTest, ZeroTemperatureIsArgmax) {
  Sampler s = make(0.0f);
  for (int i = 0; i < 10; ++i)
    EXPECT_EQ(tern_sampler_sample(s.get(), kLogits.data(), 6), 1);
}

TEST(SamplerTest, TopKOfOneIsArgmaxAtAnyTemperature) {
  Sampler s = make(5.0f, 1);
  for (int i = 0; i < 50; ++i)
    EXPECT_EQ(tern_sampler_sample(s.get(), kLogits.data(), 6), 1);
}

TEST(SamplerTest, TopKLimitsTheCandidates) {
  Sampler s = make(10.0f, 3);
  for (int i = 0; i < 500; ++i) {
    int32_t t = tern_sampler_sample(s.get(), kLogits.data(), 6);
    EXPECT_TRUE(t == 1 || t == 5 || t == 2) << t;
  }
}

TEST(SamplerTest, TinyTopPKeepsOnlyTheMostLikely) {
  Sampler s = make(1.0f, 0, 0.01f);
  for (int i = 0; i < 50; ++i)
    EXPECT_EQ(tern_sampler_sample(s.get(), kLogits.data(), 6), 1);
}

TEST(SamplerTest, FrequenciesFollowTheSoftmax) {
  Sampler s = make(1.0f);
  std::map<int32_t, int> counts;
  const int draws = 20000;
  for (int i = 0; i < draws; ++i)
    ++counts[tern_sampler_sample(s.get(), kLogits.data(), 6)];
  double total = 0;
  for (float l : kLogits)
    total += std::exp(l);
  for (size_t t = 0; t < kLogits.size(); ++t)
    EXPECT_NEAR(counts[static_cast<int32_t>(t)] / double(draws), std::exp(kLogits[t]) / total, 0.015)
        << "token " << t;
}

TEST(SamplerTest, SameSeedSameSequenceOtherSeedOtherSequence) {
  auto sequence = [](uint64_t seed) {
    Sampler s = make(1.5f, 0, 1.0f, 1.0f, seed);
    std::vector<int32_t> out;
    for (int i = 0; i < 64; ++i)
      out.push_back(tern_sampler_sample(s.get(), kLogits.data(), 6));
    return out;
  };
  EXPECT_EQ(sequence(42), sequence(42));
  EXPECT_NE(sequence(42), sequence(43));
}

TEST(SamplerTest, RepetitionPenaltyDemotesRecentTokens) {
  Sampler s = make(0.0f, 0, 1.0f, 1.5f);
  tern_sampler_accept(s.get(), 1); // 3.0 / 1.5 = 2.0 < 2.9
  EXPECT_EQ(tern_sampler_sample(s.get(), kLogits.data(), 6), 5);
  // Token 5 is now recent too: 2.9 / 1.5 < 2.5.
  EXPECT_EQ(tern_sampler_sample(s.get(), kLogits.data(), 6), 2);
}

TEST(SamplerTest, PenaltyMakesNegativeLogitsMoreNegative) {
  std::vector<float> negative = {-1.0f, -1.2f};
  Sampler s = make(0.0f, 0, 1.0f, 1.5f);
  tern_sampler_accept(s.get(), 0); // -1.0 * 1.5 = -1.5 < -1.2
  EXPECT_EQ(tern_sampler_sample(s.get(), negative.data(), 2), 1);
}

} // namespace
