//===- TokenizerTest.cpp - byte-level BPE, Llama 3's tokenizer, C API -----===//
//
// Small tokenizer.json files written here test each mechanism on its own
// (merge order, ignore_merges, the regex, added tokens, every load error);
// the real Llama 3 tokenizer (TERN_LLAMA3_TOKENIZER_DIR, installed by
// `npm ci --prefix tests/tokenizer`) checks ids taken from Hugging Face's
// tokenizers, each also checked by hand against the token strings noted
// beside it. tests/tokenizer compares a 10,000-line corpus.
//
//===----------------------------------------------------------------------===//
#include "runtime/include/tern/tokenizer.h"
#include "runtime/include/tern/runtime.h"
#include "runtime/src/Error.h"
#include "runtime/src/Tokenizer.h"
#include "runtime/src/Utf8.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>

using namespace tern::rt;
using Ids = std::vector<int32_t>;

namespace {

/// GPT-2's byte-to-character table, written independently of the runtime's:
/// printable bytes stand for themselves, the others for U+0100 onwards.
std::string byteLevel(const std::string &bytes) {
  auto printable = [](int b) {
    return (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || b >= 174;
  };
  std::string out;
  for (unsigned char b : bytes) {
    uint32_t cp = b;
    if (!printable(b)) {
      cp = 256;
      for (int below = 0; below < b; ++below)
        cp += !printable(below);
    }
    appendUtf8(out, cp);
  }
  return out;
}

std::string quoted(const std::string &s) {
  std::string out = "\"";
  for (char c : s)
    out += (c == '"' || c == '\\') ? std::string("\\") + c : std::string(1, c);
  return out + "\"";
}

/// A tokenizer.json of Llama 3's shape over a tiny vocabulary: byte b has
/// id b, then each merge's result and each word get the next id, then the
/// added tokens. Merges and words are written as raw bytes.
struct TinyTokenizer {
  std::vector<std::pair<std::string, std::string>> merges{
      {"a", "b"}, {"b", "c"}, {"ab", "c"}, {"a", "a"}};
  std::vector<std::string> words;
  std::string regex = R"(\p{L}+|\p{N}+|\s+|[^\s\p{L}\p{N}]+)";
  bool ignoreMerges = false;
  std::string addedTokens = R"([{"id": 1000, "content": "<|eot|>", "special": true},
    {"id": 1001, "content": "<|e", "special": false},
    {"id": 1002, "content": "<|eot|>x", "special": true}])";

  std::string json() const {
    std::vector<std::string> vocab;
    for (int b = 0; b < 256; ++b)
      vocab.push_back(std::string(1, static_cast<char>(b)));
    auto add = [&](const std::string &token) {
      if (std::find(vocab.begin(), vocab.end(), token) == vocab.end())
        vocab.push_back(token);
    };
    for (const auto &[left, right] : merges)
      add(left + right);
    for (const std::string &word : words)
      add(word);
    std::string vocabJson, mergesJson;
    for (size_t id = 0; id < vocab.size(); ++id)
      vocabJson += (id ? ", " : "") + quoted(byteLevel(vocab[id])) + ": " + std::to_string(id);
    for (const auto &[left, right] : merges)
      mergesJson +=
          (mergesJson.empty() ? "" : ", ") + quoted(byteLevel(left) + " " + byteLevel(right));
    return R"({"version": "1.0", "added_tokens": )" + addedTokens + R"(,
      "normalizer": null,
      "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
        {"type": "Split", "pattern": {"Regex": )" +
           quoted(regex) + R"(}, "behavior": "Isolated", "invert": false},
        {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true,
         "use_regex": false}]},
      "post_processor": {"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": false,
                         "use_regex": true},
      "decoder": {"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": true,
                  "use_regex": true},
      "model": {"type": "BPE", "dropout": null, "unk_token": null,
        "continuing_subword_prefix": null, "end_of_word_suffix": null, "fuse_unk": false,
        "byte_fallback": false, "ignore_merges": )" +
           (ignoreMerges ? "true" : "false") + R"(, "vocab": {)" + vocabJson + R"(}, "merges": [)" +
           mergesJson + "]}}";
  }

  Tokenizer load() const {
    Tokenizer tokenizer;
    EXPECT_TRUE(Tokenizer::load(json(), tokenizer)) << lastError();
    return tokenizer;
  }
};

Ids encode(const Tokenizer &tokenizer, std::string_view text, bool parseSpecial = true) {
  Ids ids;
  EXPECT_TRUE(tokenizer.encode(text, ids, parseSpecial)) << lastError();
  return ids;
}

std::string decode(const Tokenizer &tokenizer, const Ids &ids, bool skipSpecial = false) {
  std::string text;
  EXPECT_TRUE(tokenizer.decode(ids, text, skipSpecial)) << lastError();
  return text;
}

/// Ids of tokens by their tokenizer.json spelling.
Ids idsOf(const Tokenizer &tokenizer, const std::vector<std::string> &tokens) {
  Ids ids;
  for (const std::string &token : tokens) {
    std::optional<int32_t> id = tokenizer.tokenId(token);
    EXPECT_TRUE(id.has_value()) << "no token " << token;
    ids.push_back(id.value_or(-1));
  }
  return ids;
}

TEST(TokenizerTest, MergesApplyLowestRankFirstThenLeftmost) {
  Tokenizer t = TinyTokenizer().load();
  // "a b" (rank 0) before "b c" (rank 1); then "ab c" (rank 2).
  EXPECT_EQ(encode(t, "abc"), idsOf(t, {"abc"}));
  // "a b" first although "b c" comes first in the text.
  EXPECT_EQ(encode(t, "bcab"), idsOf(t, {"bc", "ab"}));
  // Two places for "a a": the leftmost merges.
  EXPECT_EQ(encode(t, "aaa"), idsOf(t, {"aa", "a"}));
  EXPECT_EQ(encode(t, "abab"), idsOf(t, {"ab", "ab"}));
  EXPECT_EQ(encode(t, "x"), idsOf(t, {"x"}));
  EXPECT_EQ(encode(t, ""), Ids{});
}

TEST(TokenizerTest, IgnoreMergesEmitsAVocabularyWordWhole) {
  TinyTokenizer tiny;
  tiny.words = {"xyz"};
  tiny.ignoreMerges = true;
  Tokenizer whole = tiny.load();
  EXPECT_EQ(encode(whole, "xyz"), idsOf(whole, {"xyz"}));
  // A pre-token not in the vocabulary still goes through BPE.
  EXPECT_EQ(encode(whole, "xyzab"), idsOf(whole, {"x", "y", "z", "ab"}));
  tiny.ignoreMerges = false;
  Tokenizer merged = tiny.load();
  EXPECT_EQ(encode(merged, "xyz"), idsOf(merged, {"x", "y", "z"}));
}

TEST(TokenizerTest, MergesNeverCrossPreTokens) {
  TinyTokenizer tiny;
  tiny.merges = {{"b", "1"}};
  tiny.regex = R"(\d+)"; // the text between matches forms pre-tokens too
  Tokenizer t = tiny.load();
  EXPECT_EQ(encode(t, "ab12"), idsOf(t, {"a", "b", "1", "2"}));
  tiny.regex = R"([\s\S]+)";
  EXPECT_EQ(encode(tiny.load(), "ab12"), idsOf(t, {"a", "b1", "2"}));
}

TEST(TokenizerTest, EmptyMatchesNeitherSplitNorHang) {
  TinyTokenizer tiny;
  tiny.merges = {{"a", "b"}, {"x", "c"}};
  tiny.regex = "x*"; // matches "" at every position but one
  Tokenizer t = tiny.load();
  // Pieces, as Hugging Face cuts them: "a", "b", "x", "c".
  EXPECT_EQ(encode(t, "abxc"), idsOf(t, {"a", "b", "x", "c"}));
}

TEST(TokenizerTest, BackslashSMeansUnicodeWhiteSpace) {
  TinyTokenizer tiny;
  tiny.merges = {{"a", "\xE1"}};
  tiny.regex = R"(\s+|\S+)";
  Tokenizer t = tiny.load();
  // U+180E (E1 A0 8E) is not White_Space, so "a\u180Eb" is one pre-token
  // and "a" merges with the next byte; PCRE2's own \s would match U+180E.
  EXPECT_EQ(encode(t, "a\xE1\xA0\x8E"
                      "b"),
            (Ids{t.tokenId("a\xC3\xA1").value_or(-1), 0xA0, 0x8E, 'b'}));
  // U+0085 is White_Space: "a" and its bytes stay apart.
  EXPECT_EQ(encode(t, "a\xC2\x85"), (Ids{'a', 0xC2, 0x85}));
}

TEST(TokenizerTest, CaseInsensitiveGroupsFoldAsciiOnly) {
  TinyTokenizer tiny;
  tiny.merges = {{"'", "\xC5"}, {"'", "S"}, {"A", "X"}};
  tiny.regex = R"((?i:'s|\p{Lu}x)|.)";
  Tokenizer t = tiny.load();
  EXPECT_EQ(encode(t, "'S"), idsOf(t, {"'S"}));
  // U+017F (C5 BF) folds to 's' in Unicode, not in Hugging Face's regexes:
  // "'" and "ſ" stay apart, so "'" does not merge with the C5 byte.
  EXPECT_EQ(encode(t, "'\xC5\xBF"), (Ids{'\'', 0xC5, 0xBF}));
  // \p{Lu} inside the group keeps its meaning; only the literal x folds.
  EXPECT_EQ(encode(t, "AX"), idsOf(t, {"AX"}));
}

TEST(TokenizerTest, AddedTokensAreSplitOutLeftmostLongest) {
  Tokenizer t = TinyTokenizer().load();
  EXPECT_EQ(encode(t, "a<|eot|>b"), (Ids{'a', 1000, 'b'}));
  EXPECT_EQ(encode(t, "a<|eot|>xb"), (Ids{'a', 1002, 'b'})); // "<|eot|>x" is longer
  EXPECT_EQ(encode(t, "<|ex"), (Ids{1001, 'x'}));
  EXPECT_EQ(encode(t, "<|e<|eot|>"), (Ids{1001, 1000}));
  EXPECT_EQ(encode(t, "<|eot|><|eot|>"), (Ids{1000, 1000}));
  // Without parsing, the text is ordinary bytes.
  EXPECT_EQ(encode(t, "<|eot|>", false), (Ids{'<', '|', 'e', 'o', 't', '|', '>'}));
  EXPECT_EQ(t.tokenId("<|eot|>"), 1000);
  EXPECT_EQ(t.vocabSize(), 1003);
  EXPECT_TRUE(t.isSpecial(1000));
  EXPECT_FALSE(t.isSpecial(1001));
  EXPECT_FALSE(t.isSpecial('a'));
  EXPECT_FALSE(t.isSpecial(-1));
  EXPECT_FALSE(t.isSpecial(5000));
}

TEST(TokenizerTest, DecodeKeepsOrSkipsSpecialTokens) {
  Tokenizer t = TinyTokenizer().load();
  Ids ids = {'a', 1000, 1001, 'b'};
  EXPECT_EQ(decode(t, ids), "a<|eot|><|eb");
  EXPECT_EQ(decode(t, ids, true), "a<|eb"); // 1001 is added but not special
  std::string text;
  EXPECT_FALSE(t.decode({'a', 5000}, text));
  EXPECT_EQ(lastError(), "token id 5000 is not in the vocabulary (1003 ids)");
  EXPECT_FALSE(t.decode({-3}, text));
  EXPECT_FALSE(t.decode({999}, text)); // a gap between the vocabulary and the added tokens
  EXPECT_EQ(t.tokenBytes(999), std::nullopt);
  EXPECT_EQ(t.tokenBytes(0xC5), std::string_view("\xC5"));
  EXPECT_EQ(t.tokenBytes(1000), std::string_view("<|eot|>"));
}

TEST(TokenizerTest, InvalidUtf8IsReadAsReplacementCharacters) {
  const std::string fffd = "\xEF\xBF\xBD";
  // One U+FFFD per maximal invalid subsequence (WHATWG, Python's "replace").
  EXPECT_EQ(toValidUtf8("a\xFF"
                        "b"),
            "a" + fffd + "b");
  EXPECT_EQ(toValidUtf8("\xC0\x80"), fffd + fffd);                       // overlong
  EXPECT_EQ(toValidUtf8("\xED\xA0\x80"), fffd + fffd + fffd);            // surrogate
  EXPECT_EQ(toValidUtf8("\xF4\x90\x80\x80"), fffd + fffd + fffd + fffd); // above U+10FFFF
  EXPECT_EQ(toValidUtf8("\xF0\x9F\x98"), fffd);                          // truncated at the end
  EXPECT_EQ(toValidUtf8("\xE2\x82"
                        "a"),
            fffd + "a"); // truncated before "a"
  EXPECT_EQ(toValidUtf8("\xF0\x9F\x98\x80 \xC3\xA9"), "\xF0\x9F\x98\x80 \xC3\xA9");
  Tokenizer t = TinyTokenizer().load();
  EXPECT_EQ(encode(t, "x\xFF\xC0<|eot|>\xED\xA0"),
            encode(t, "x" + fffd + fffd + "<|eot|>" + fffd + fffd));
  // Any bytes at all: encoding neither fails nor hangs, and decoding gives
  // the text back with its invalid parts replaced.
  std::mt19937 rng(1);
  std::string noise(1 << 16, '\0');
  for (char &c : noise)
    c = static_cast<char>(rng());
  EXPECT_EQ(decode(t, encode(t, noise)), toValidUtf8(noise));
}

/// Loads `json`, expecting failure; returns the message.
std::string loadError(const std::string &json) {
  Tokenizer t;
  if (Tokenizer::load(json, t))
    return "(loaded)";
  return lastError();
}

/// `json` with `from` replaced by `to` (which must occur).
std::string edited(std::string json, const std::string &from, const std::string &to) {
  size_t at = json.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  return at == std::string::npos ? json : json.replace(at, from.size(), to);
}

TEST(TokenizerTest, LoadErrorsNameTheProblem) {
  const std::string good = TinyTokenizer().json();
  const std::string bpe = R"("model": {"type": "BPE")";
  const std::string split = R"("behavior": "Isolated")";
  const std::string byteLevelPre = R"({"type": "ByteLevel", "add_prefix_space": false)";
  const std::pair<std::string, std::string> cases[] = {
      {"{not json", "tokenizer.json: not valid JSON: line 1, column 2: expected a string key"},
      {"[1, 2]", "tokenizer.json: a tokenizer.json must be a JSON object, not array"},
      {edited(good, R"("normalizer": null)", R"("normalizer": {"type": "NFC"})"),
       "normalizer 'NFC' is not supported"},
      {edited(good, R"("pre_tokenizer": {"type": "Sequence")",
              R"("pre_tokenizer": {"type": "Whitespace")"),
       "pre_tokenizer 'Whitespace' is not supported"},
      {edited(good, R"("pre_tokenizer")", R"("pre_tokenizerX")"), "missing 'pre_tokenizer'"},
      {edited(good, split, R"("behavior": "Removed")"),
       "Split behavior 'Removed' is not supported"},
      {edited(good, split, R"("behavior": 1)"),
       "'pre_tokenizer.pretokenizers[0].behavior' must be a string, not number"},
      {edited(good, R"("pretokenizers": [)", R"("pretokenizers": [{"type": "Digits"}, )"),
       "pre_tokenizer.pretokenizers has 3 steps, not 2"},
      {edited(good, R"({"type": "ByteLevel", "add_prefix_space": false)", R"({"type": "Digits")"),
       "pre_tokenizer Sequence[Split, Digits] is not supported"},
      {edited(good, R"("use_regex": false)", R"("use_regex": true)"),
       "'pre_tokenizer.pretokenizers[1].use_regex' must be false"},
      {edited(good, R"("invert": false)", R"("invert": true)"),
       "'pre_tokenizer.pretokenizers[0].invert' must be false"},
      {edited(good, byteLevelPre, R"({"type": "ByteLevel", "add_prefix_space": true)"),
       "'pre_tokenizer.pretokenizers[1].add_prefix_space' must be false"},
      {edited(good, R"({"Regex": )", R"({"String": )"),
       "missing 'pre_tokenizer.pretokenizers[0].pattern.Regex'"},
      {edited(good, R"(\\p{L}+|)", R"((\\p{L}+|)"),
       "the Split regex '(\\p{L}+|\\p{N}+|\\s+|[^\\s\\p{L}\\p{N}]+' is invalid: missing closing "
       "parenthesis"},
      {edited(good, R"("decoder": {"type": "ByteLevel")", R"("decoder": {"type": "WordPiece")"),
       "decoder 'WordPiece' is not supported"},
      {edited(good, R"("decoder")", R"("decoderX")"), "missing 'decoder'"},
      {edited(good, R"("model")", R"("modelX")"), "tokenizer.json: missing 'model'"},
      {edited(good, R"("model": {)", R"("model": [], "m": {)"),
       "'model' must be an object, not array"},
      {edited(good, R"("normalizer": null)", R"("normalizer": "NFC")"),
       "'normalizer' must be an object, not string"},
      {edited(good, bpe, R"("model": {"type": "WordPiece")"),
       "model type 'WordPiece' is not supported"},
      {edited(good, R"("dropout": null)", R"("dropout": 0.1)"), "BPE dropout is not supported"},
      {edited(good, R"("ignore_merges": false)", R"("ignore_merges": "yes")"),
       "'model.ignore_merges' must be a boolean, not string"},
      {edited(good, R"("end_of_word_suffix": null)", R"("end_of_word_suffix": "</w>")"),
       "'model.end_of_word_suffix' is not supported"},
      {edited(good, R"("vocab": {)", R"("vocabX": {)"), "missing 'model.vocab'"},
      {edited(good, R"("vocab": {)", R"("vocab": [], "v": {)"),
       "'model.vocab' must be an object, not array"},
      {edited(good, R"("a": 97)", R"("a": -97)"),
       "'model.vocab[\"a\"]' must be a token id from 0 to 16777215"},
      {edited(good, R"("a": 97)", R"("a": "97")"), "'model.vocab[\"a\"]' must be a token id"},
      {edited(good, R"("a": 97)", "\"\xE4\xB8\x80\": 97"),
       "vocab token '\xE4\xB8\x80' (id 97) is not in byte-level form"},
      {edited(good, R"("a": 97)", R"("a": 98)"), "token id 98 appears twice in model.vocab"},
      {edited(good, R"("a": 97)", R"("a": 97, "a": 2000)"),
       "token 'a' appears twice in model.vocab"},
      {edited(good, R"("a": 97)", R"("Ġa": 97)"), "model.vocab has no token for the byte 97 ('a')"},
      {edited(good, R"("merges": [)", R"("merges": {}, "m": [)"),
       "'model.merges' must be an array, not object"},
      {edited(good, R"("merges": [)", R"("merges": ["q z", )"),
       "merge 0 ('q z') makes 'qz', which is not in model.vocab"},
      {edited(good, R"("merges": [)", R"("merges": ["a ab", )"),
       "merge 0 ('a ab') makes 'aab', which is not in model.vocab"},
      {edited(good, R"("merges": [)", R"("merges": ["ab abc", )"),
       "merge 0 ('ab abc') makes 'ababc', which is not in model.vocab"},
      {edited(good, R"("merges": [)", R"("merges": ["a xyz", )"),
       "merge 0 ('a xyz') refers to 'xyz', which is not in model.vocab"},
      {edited(good, R"("merges": [)", R"("merges": ["a \u4e00", )"),
       "merge 0 ('a \xE4\xB8\x80') is not in byte-level form"},
      {edited(good, R"("merges": [)", R"("merges": ["ab", )"),
       "merge 0 ('ab') must be two tokens separated by one space"},
      {edited(good, R"("merges": [)", R"("merges": [7, )"),
       "merge 0 must be a string \"left right\" or an array of two strings"},
      {edited(good, R"("special": false)", R"("special": false, "lstrip": true)"),
       "'added_tokens[1].lstrip' must be false"},
      {edited(good, R"("id": 1001)", R"("id": 1000)"), "two added tokens have id 1000"},
      {edited(good, R"("id": 1001)", R"("id": 97)"),
       "added token '<|e' has id 97, which model.vocab gives to another token"},
      {edited(good, R"("content": "<|e",)", R"("content": "",)"),
       "'added_tokens[1].content' must be non-empty UTF-8 text"},
      {edited(good, R"("content": "<|e",)", R"("content": "<|eot|>",)"),
       "added token '<|eot|>' appears twice"},
      {edited(good, R"("id": 1001)", R"("id": 1e3)"), "'added_tokens[1].id' must be a token id"},
      {edited(good, R"("added_tokens": [)", R"("added_tokens": {}, "x": [)"),
       "'added_tokens' must be an array, not object"},
      {edited(good, R"("added_tokens": [)", R"("added_tokens": [7, )"),
       "'added_tokens[0]' must be an object, not number"},
      {edited(good, R"("content": "<|e",)", R"("text": "<|e",)"),
       "missing 'added_tokens[1].content'"},
      {edited(good, R"("special": false)", R"("special": "no")"),
       "'added_tokens[1].special' must be a boolean"},
  };
  for (const auto &[json, message] : cases) {
    std::string error = loadError(json);
    EXPECT_NE(error.find(message), std::string::npos)
        << "expected: " << message << "\ngot: " << error;
    EXPECT_EQ(error.rfind("tokenizer.json: ", 0), 0u) << error;
  }
  // A pair written as an array (tokenizers >= 0.20) loads like "a b".
  Tokenizer arrays;
  ASSERT_TRUE(
      Tokenizer::load(edited(good, R"("merges": ["a b")", R"("merges": [["a", "b"])"), arrays))
      << lastError();
  EXPECT_EQ(encode(arrays, "abc"), idsOf(arrays, {"abc"}));
}

TEST(TokenizerTest, LoadFileNamesThePath) {
  Tokenizer t;
  EXPECT_FALSE(Tokenizer::loadFile("/nonexistent/tokenizer.json", t));
  EXPECT_EQ(lastError(), "cannot read /nonexistent/tokenizer.json: No such file or directory");
  Ids ids;
  EXPECT_FALSE(t.encode("x", ids));
  EXPECT_EQ(lastError(), "the tokenizer is not loaded");
}

TEST(TokenizerTest, CApiFollowsTheBufferConvention) {
  auto path = std::filesystem::temp_directory_path() /
              ("tern-tokenizer-test-" + std::to_string(::getpid()) + ".json");
  std::ofstream(path) << TinyTokenizer().json();
  tern_tokenizer *t = tern_tokenizer_load(path.c_str());
  std::filesystem::remove(path);
  ASSERT_NE(t, nullptr) << tern_last_error();
  EXPECT_EQ(tern_tokenizer_vocab_size(t), 1003);
  EXPECT_EQ(tern_tokenizer_token_id(t, "<|eot|>"), 1000);
  EXPECT_EQ(tern_tokenizer_token_id(t, "<|nope|>"), -1);
  EXPECT_EQ(tern_tokenizer_is_special(t, 1000), 1);
  EXPECT_EQ(tern_tokenizer_is_special(t, 1001), 0);

  const char text[] = "ab<|eot|>c";
  int32_t ids[4] = {-1, -1, -1, -1};
  EXPECT_EQ(tern_tokenizer_encode(t, text, 10, 1, nullptr, 0), 3); // counts without writing
  EXPECT_EQ(tern_tokenizer_encode(t, text, 10, 1, ids, 2), 3);     // writes what fits
  EXPECT_EQ(ids[1], 1000);
  EXPECT_EQ(ids[2], -1);
  EXPECT_EQ(tern_tokenizer_encode(t, text, 10, 0, ids, 4), 9); // ab < | e o t | > c
  EXPECT_EQ(tern_tokenizer_encode(t, text, 10, 1, ids, -1), -1);
  EXPECT_NE(std::string(tern_last_error()).find("capacity"), std::string::npos);

  const int32_t tokens[] = {'a', 1000, 0xC3};
  char out[16];
  EXPECT_EQ(tern_tokenizer_decode(t, tokens, 3, 0, out, 4), 11); // "a<|eot|>\uFFFD"
  EXPECT_EQ(std::string(out, 4), "a<|e");
  EXPECT_EQ(tern_tokenizer_decode(t, tokens, 3, 1, out, sizeof out), 4);
  EXPECT_EQ(std::string(out, 4), "a\xEF\xBF\xBD");
  const int32_t bad[] = {70000};
  EXPECT_EQ(tern_tokenizer_decode(t, bad, 1, 0, out, sizeof out), -1);
  EXPECT_EQ(std::string(tern_last_error()), "token id 70000 is not in the vocabulary (1003 ids)");
  EXPECT_EQ(tern_tokenizer_token_bytes(t, 0xC3, out, sizeof out), 1);
  EXPECT_EQ(out[0], '\xC3');
  EXPECT_EQ(tern_tokenizer_token_bytes(t, 999, out, sizeof out), -1);
  tern_tokenizer_free(t);

  EXPECT_EQ(tern_tokenizer_load("/nonexistent.json"), nullptr);
  EXPECT_EQ(std::string(tern_last_error()),
            "cannot read /nonexistent.json: No such file or directory");
  EXPECT_EQ(tern_tokenizer_load(nullptr), nullptr);
  EXPECT_EQ(tern_tokenizer_encode(nullptr, "x", 1, 1, ids, 4), -1);
  EXPECT_EQ(tern_tokenizer_vocab_size(nullptr), 0);
}

//===--- The real Llama 3 tokenizer ---------------------------------------===//

class Llama3TokenizerTest : public ::testing::Test {
protected:
  static void SetUpTestSuite() {
    path_ = std::string(TERN_LLAMA3_TOKENIZER_DIR) + "/tokenizer.json";
    if (!std::filesystem::exists(path_))
      return;
    tokenizer_ = new Tokenizer();
    if (!Tokenizer::loadFile(path_, *tokenizer_)) {
      loadError_ = lastError();
      delete tokenizer_;
      tokenizer_ = nullptr;
    }
  }
  static void TearDownTestSuite() {
    delete tokenizer_;
    tokenizer_ = nullptr;
  }
  void SetUp() override {
    if (!std::filesystem::exists(path_))
      GTEST_SKIP() << "no Llama 3 tokenizer at " << path_
                   << "; run `npm ci --prefix tests/tokenizer` to install it";
    ASSERT_NE(tokenizer_, nullptr) << loadError_;
  }

  static std::string path_, loadError_;
  static Tokenizer *tokenizer_;
};

std::string Llama3TokenizerTest::path_, Llama3TokenizerTest::loadError_;
Tokenizer *Llama3TokenizerTest::tokenizer_ = nullptr;

TEST_F(Llama3TokenizerTest, HandCheckedIds) {
  const Tokenizer &t = *tokenizer_;
  const std::pair<std::string, Ids> cases[] = {
      {"Hello world", {9906, 1917}}, // Hello, Ġworld
      {"<|begin_of_text|>Hi<|eot_id|>", {128000, 13347, 128009}},
      {"<|eot_id|", {27, 91, 68, 354, 851, 91}},             // <, |, e, ot, _id, |
      {"1234567", {4513, 10961, 22}},                        // 123, 456, 7
      {"3.14159", {18, 13, 9335, 2946}},                     // 3, ., 141, 59
      {"2024-01-15", {2366, 19, 12, 1721, 12, 868}},         // 202, 4, -, 01, -, 15
      {"I'LL go, it'S", {40, 6, 4178, 733, 11, 433, 13575}}, // I, ', LL, Ġgo, ",", Ġit, 'S
      {"don't", {15357, 956}},                               // don, 't
      {"it\xE2\x80\x99s", {275, 753}},                       // it, ’s (no contraction)
      {"a  b", {64, 220, 293}},                              // a, Ġ, Ġb
      {"a \t b", {64, 7163, 293}},                           // a, Ġĉ, Ġb
      {"line\r\n\r\nnext", {1074, 881, 3684}},               // line, čĊčĊ, next
      {"lone\rCR", {75, 606, 201, 9150}},                    // l, one, č, CR
      {"trailing   ", {376, 14612, 262}},                    // tr, ailing, ĠĠĠ
      {"x \xE1\xA0\x8Ey", {87, 87189, 254, 236, 88}},        // x, Ġá, ł, İ (U+180E), y
      {"\xE4\xB8\xAD\xE5\x8D\x8E\xE4\xBA\xBA\xE6\xB0\x91\xE5\x85\xB1\xE5\x92\x8C\xE5\x9B\xBD",
       {119635, 118514}}, // 中华, 人民共和国
      {"\xD0\x9F\xD1\x80\xD0\xB8\xD0\xB2\xD0\xB5\xD1\x82 \xD0\xBC\xD0\xB8\xD1\x80",
       {54745, 28089, 8341, 115388}}, // Пр, ив, ет, Ġмир
      {"\xF0\x9F\x91\x8D\xF0\x9F\x8F\xBD",
       {9468, 239, 235, 9468, 237, 121}}, // 👍🏽 in byte pieces
      {" nhanh", {105314}},               // whole by ignore_merges; BPE alone gives Ġn, han, h
      {"x\xFFy", {87, 5809, 88}},         // x, U+FFFD, y
  };
  for (const auto &[text, ids] : cases)
    EXPECT_EQ(encode(t, text), ids) << text;
  EXPECT_NE(encode(t, " nhanh"), idsOf(t, {"Ġn", "han", "h"}));
  // Without parsing, an added token's text is ordinary text.
  EXPECT_EQ(encode(t, "<|eot_id|>", false), (Ids{27, 91, 68, 354, 851, 91, 29}));
}

TEST_F(Llama3TokenizerTest, VocabularyAndSpecialTokens) {
  const Tokenizer &t = *tokenizer_;
  EXPECT_EQ(t.vocabSize(), 128256);
  EXPECT_EQ(t.tokenId("<|begin_of_text|>"), 128000);
  EXPECT_EQ(t.tokenId("<|eot_id|>"), 128009);
  EXPECT_EQ(t.tokenId("<|reserved_special_token_250|>"), 128255);
  EXPECT_EQ(t.tokenId("\xC4\xA0the"), 279); // "Ġthe"
  EXPECT_EQ(t.tokenId("hello"), 15339);
  EXPECT_EQ(t.tokenId("<|no_such_token|>"), std::nullopt);
  EXPECT_TRUE(t.isSpecial(128009));
  EXPECT_FALSE(t.isSpecial(279));
  EXPECT_EQ(t.tokenBytes(279), std::string_view(" the"));
  EXPECT_EQ(t.tokenBytes(128009), std::string_view("<|eot_id|>"));
}

TEST_F(Llama3TokenizerTest, StreamingAPartialCharacter) {
  const Tokenizer &t = *tokenizer_;
  const std::string thumbs = "\xF0\x9F\x91\x8D\xF0\x9F\x8F\xBD"; // 👍🏽
  Ids ids = encode(t, thumbs);
  std::string streamed;
  for (int32_t id : ids)
    streamed += std::string(t.tokenBytes(id).value());
  EXPECT_EQ(streamed, thumbs);
  // A character cut off by the end or by an added token decodes as U+FFFD.
  EXPECT_EQ(decode(t, {ids[0]}), "\xEF\xBF\xBD");
  // F0 9F | <|eot_id|> | 91 8D: the two continuation bytes are one U+FFFD each.
  EXPECT_EQ(decode(t, {ids[0], 128009, ids[1], ids[2]}),
            "\xEF\xBF\xBD<|eot_id|>\xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_EQ(decode(t, {ids[0], 128009, ids[1], ids[2]}, true), "\xF0\x9F\x91\x8D");
}

TEST_F(Llama3TokenizerTest, AnyBytesRoundTrip) {
  const Tokenizer &t = *tokenizer_;
  std::mt19937 rng(2);
  for (int length : {1, 7, 100, 5000}) {
    std::string bytes(length, '\0');
    for (char &c : bytes)
      c = static_cast<char>(rng() % 3 == 0 ? rng() : ' ' + rng() % 95);
    EXPECT_EQ(decode(t, encode(t, bytes)), toValidUtf8(bytes));
  }
}

} // namespace
