//===- JsonTest.cpp - the runtime's JSON reader ---------------------------===//
#include "runtime/src/Json.h"

#include <gtest/gtest.h>

using namespace tern::rt;

namespace {

json::Value parseOk(const std::string &text) {
  json::Value v;
  std::string error;
  EXPECT_TRUE(json::parse(text, v, error)) << error;
  return v;
}

std::string parseError(const std::string &text) {
  json::Value v;
  std::string error;
  EXPECT_FALSE(json::parse(text, v, error)) << text;
  return error;
}

TEST(JsonTest, Document) {
  json::Value v = parseOk(R"({"a": [1, -2.5e3, true, false, null], "b": {"c": "d"}, "e": 9007199254740993})");
  ASSERT_TRUE(v.isObject());
  const json::Value *a = v.find("a");
  ASSERT_TRUE(a && a->isArray());
  ASSERT_EQ(a->asArray().size(), 5u);
  EXPECT_TRUE(a->asArray()[0].isInteger());
  EXPECT_EQ(a->asArray()[0].asInt(), 1);
  EXPECT_FALSE(a->asArray()[1].isInteger());
  EXPECT_DOUBLE_EQ(a->asArray()[1].asDouble(), -2500.0);
  EXPECT_TRUE(a->asArray()[2].asBool());
  EXPECT_TRUE(a->asArray()[4].isNull());
  EXPECT_EQ(v.find("b")->find("c")->asString(), "d");
  // Integers keep all 64 bits, not a double's 53.
  EXPECT_EQ(v.find("e")->asInt(), 9007199254740993LL);
  EXPECT_EQ(v.find("missing"), nullptr);
}

TEST(JsonTest, MemberOrderIsKept) {
  json::Value v = parseOk(R"({"z": 1, "a": 2, "m": 3})");
  const auto &members = v.asObject();
  ASSERT_EQ(members.size(), 3u);
  EXPECT_EQ(members[0].first, "z");
  EXPECT_EQ(members[1].first, "a");
  EXPECT_EQ(members[2].first, "m");
}

TEST(JsonTest, StringEscapes) {
  json::Value v = parseOk(R"(["\"\\\/\b\f\n\r\t", "\u0041\u00e9\u4e2d", "\ud83d\ude00", "Ġhello"])");
  const auto &items = v.asArray();
  EXPECT_EQ(items[0].asString(), "\"\\/\b\f\n\r\t");
  EXPECT_EQ(items[1].asString(), "A\xc3\xa9\xe4\xb8\xad");
  EXPECT_EQ(items[2].asString(), "\xf0\x9f\x98\x80"); // surrogate pair -> U+1F600
  EXPECT_EQ(items[3].asString(), "\xc4\xa0hello");    // raw UTF-8 passes through
}

TEST(JsonTest, ErrorsNameLineAndColumn) {
  EXPECT_EQ(parseError("{\n  \"a\": 1,\n  \"b\" 2\n}"), "line 3, column 7: expected ':' after an object key");
  EXPECT_EQ(parseError("[1, 2"), "line 1, column 6: unexpected end of input inside an array");
  EXPECT_EQ(parseError("{\"a\": tru}"), "line 1, column 7: invalid literal");
  EXPECT_EQ(parseError("[01]"), "line 1, column 3: expected ',' or ']' in an array");
  EXPECT_EQ(parseError("\"abc"), "line 1, column 5: unterminated string");
  EXPECT_EQ(parseError("\"a\nb\""), "line 1, column 3: control character in a string");
  EXPECT_EQ(parseError("[\"\\ud800\"]"), "line 1, column 9: unpaired high surrogate in \\u escape");
  EXPECT_EQ(parseError("[\"\\x\"]"), "line 1, column 5: invalid escape '\\x'");
  EXPECT_EQ(parseError("1 2"), "line 1, column 3: trailing characters after the JSON value");
  EXPECT_EQ(parseError(""), "line 1, column 1: unexpected end of input, expected a value");
  EXPECT_EQ(parseError("[1.]"), "line 1, column 4: invalid number: digits expected after '.'");
  EXPECT_EQ(parseError("{1: 2}"), "line 1, column 2: expected a string key");
}

TEST(JsonTest, DeepNestingIsRejectedNotACrash) {
  std::string deep(100000, '[');
  EXPECT_EQ(parseError(deep), "line 1, column 258: nesting deeper than 256 levels");
  std::string ok = std::string(200, '[') + std::string(200, ']');
  parseOk(ok);
}

TEST(JsonTest, HugeIntegerFallsBackToDouble) {
  json::Value v = parseOk("123456789012345678901234567890");
  EXPECT_TRUE(v.isNumber());
  EXPECT_FALSE(v.isInteger());
  EXPECT_NEAR(v.asDouble(), 1.2345678901234568e29, 1e15);
}

} // namespace
