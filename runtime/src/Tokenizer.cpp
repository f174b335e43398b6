//===- Tokenizer.cpp ------------------------------------------------------===//
#include "runtime/src/Tokenizer.h"
#include "runtime/src/Error.h"
#include "runtime/src/File.h"
#include "runtime/src/Json.h"
#include "runtime/src/Utf8.h"

#include <pcre2.h>

#include <algorithm>
#include <array>
#include <climits>
#include <functional>
#include <unordered_map>

namespace tern::rt {

namespace {

// Ids index dense tables; a hostile file must not make us allocate gigabytes.
constexpr int64_t kMaxTokenId = 1 << 24;
constexpr const char kSupportedPipeline[] =
    "Tern reads Llama 3's tokenizer: no normalizer, pre_tokenizer Sequence[Split(Regex, "
    "Isolated), ByteLevel(add_prefix_space=false, use_regex=false)], model BPE, decoder "
    "ByteLevel";

/// GPT-2's bytes_to_unicode: every byte is written as one character in
/// tokenizer.json; printable bytes stand for themselves, the other 68 for
/// U+0100, U+0101, ... in byte order.
struct ByteLevelAlphabet {
  static constexpr uint32_t kCodePoints = 256 + 68;
  std::array<uint32_t, 256> codePointOf{};
  std::array<int16_t, kCodePoints> byteOf{};

  ByteLevelAlphabet() {
    byteOf.fill(-1);
    uint32_t next = 256;
    for (uint32_t b = 0; b < 256; ++b) {
      bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || b >= 0xAE;
      codePointOf[b] = printable ? b : next++;
      byteOf[codePointOf[b]] = static_cast<int16_t>(b);
    }
  }
};

const ByteLevelAlphabet &byteLevel() {
  static const ByteLevelAlphabet alphabet;
  return alphabet;
}

/// The bytes a token's byte-level spelling stands for; false if `spelled`
/// has a character outside the alphabet.
bool byteLevelToBytes(std::string_view spelled, std::string &bytes) {
  const ByteLevelAlphabet &alphabet = byteLevel();
  bytes.clear();
  uint32_t cp;
  for (size_t i = 0; i < spelled.size();) {
    size_t n = utf8SequenceAt(spelled, i, cp);
    if (n == 0 || cp >= ByteLevelAlphabet::kCodePoints || alphabet.byteOf[cp] < 0)
      return false;
    bytes += static_cast<char>(alphabet.byteOf[cp]);
    i += n;
  }
  return true;
}

std::string byteLevelSpelling(unsigned char byte) {
  std::string s;
  appendUtf8(s, byteLevel().codePointOf[byte]);
  return s;
}

std::string pcre2Message(int code) {
  PCRE2_UCHAR buffer[256];
  pcre2_get_error_message(code, buffer, sizeof buffer);
  return reinterpret_cast<const char *>(buffer);
}

/// Hugging Face writes its regexes for Oniguruma; PCRE2 reads the same
/// syntax, and two constructs that mean something else in PCRE2 are
/// rewritten the way Hugging Face's own JavaScript port (tokenizers.js, the
/// reference) rewrites them:
///  - \s and \S become Unicode White_Space (PCRE2's \s also matches U+180E,
///    which Unicode 6.3 took out of White_Space);
///  - letters inside (?i:...) match their other ASCII case only (PCRE2 would
///    also let 's' match U+017F and 'k' the Kelvin sign). Character classes
///    inside such a group keep PCRE2's own caseless matching.
/// Escapes are copied with their arguments (\p{L}, \x41), so that their
/// letters are never folded.
std::string rewriteForPcre2(std::string_view regex) {
  std::string out;
  std::vector<bool> caseless{false}; // per open group
  auto isAsciiLetter = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); };
  auto isHexDigit = [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
  };
  // Copies the escape at regex[i] ('\\') with its argument; returns the
  // position after it.
  auto copyEscape = [&](size_t i) {
    if (i + 1 >= regex.size()) {
      out += regex[i];
      return i + 1;
    }
    char e = regex[i + 1];
    if (e == 's' || e == 'S') {
      out += e == 's' ? "\\p{White_Space}" : "\\P{White_Space}";
      return i + 2;
    }
    size_t end = i + 2;
    if (end < regex.size() && regex[end] == '{' &&
        std::string_view("pPxogkN").find(e) != std::string_view::npos) {
      size_t close = regex.find('}', end);
      end = close == std::string_view::npos ? regex.size() : close + 1;
    } else if ((e == 'p' || e == 'P' || e == 'c') && end < regex.size()) {
      ++end;
    } else if (e == 'x') {
      while (end < regex.size() && end < i + 4 && isHexDigit(regex[end]))
        ++end;
    }
    out.append(regex.substr(i, end - i));
    return end;
  };
  for (size_t i = 0; i < regex.size();) {
    char c = regex[i];
    if (c == '\\') {
      i = copyEscape(i);
    } else if (c == '[') {
      // A class ends at the first ']' that is not its first member.
      size_t start = out.size();
      out += c;
      ++i;
      if (i < regex.size() && regex[i] == '^')
        out += regex[i++];
      if (i < regex.size() && regex[i] == ']')
        out += regex[i++];
      while (i < regex.size() && regex[i] != ']') {
        if (regex[i] == '\\')
          i = copyEscape(i);
        else if (regex.compare(i, 2, "[:") == 0 &&
                 regex.find(":]", i + 2) != std::string_view::npos) {
          size_t end = regex.find(":]", i + 2) + 2;
          out.append(regex.substr(i, end - i));
          i = end;
        } else {
          out += regex[i++];
        }
      }
      if (i < regex.size())
        out += regex[i++];
      if (caseless.back())
        out.insert(start, "(?i:").append(")");
    } else if (c == '(') {
      bool opensCaseless = regex.compare(i, 4, "(?i:") == 0;
      caseless.push_back(opensCaseless || caseless.back());
      if (opensCaseless) {
        out += "(?:";
        i += 4;
      } else {
        // Copy a group's prefix ("(?:", "(?<=", "(?<name>") unchanged.
        size_t end = i + 1;
        if (end < regex.size() && regex[end] == '?') {
          while (end < regex.size() &&
                 std::string_view(":=!>)").find(regex[end]) == std::string_view::npos)
            ++end;
          if (end < regex.size() && regex[end] != ')')
            ++end;
        }
        out.append(regex.substr(i, end - i));
        i = end;
      }
    } else if (c == ')') {
      if (caseless.size() > 1)
        caseless.pop_back();
      out += c;
      ++i;
    } else if (caseless.back() && isAsciiLetter(c)) {
      char lower = static_cast<char>(c | 0x20), upper = static_cast<char>(c & ~0x20);
      out += '[';
      out += lower;
      out += upper;
      out += ']';
      ++i;
    } else {
      out += c;
      ++i;
    }
  }
  return out;
}

/// Access to the members of a tokenizer.json; every failure records a
/// message naming the file and the member.
class ConfigReader {
public:
  explicit ConfigReader(std::string source) : source_(std::move(source)) {}

  bool error(const std::string &message) const { return fail(source_ + ": " + message); }

  /// The member `key` of `parent`, which must be of the kind `isKind` tests
  /// for; `path` names it in messages.
  const json::Value *member(const json::Value &parent, const char *key, const std::string &path,
                            bool (json::Value::*isKind)() const, const char *kindName) const {
    const json::Value *v = parent.find(key);
    if (!v) {
      error("missing '" + path + "'");
      return nullptr;
    }
    if (!(v->*isKind)()) {
      error("'" + path + "' must be " + kindName + ", not " + v->kindName());
      return nullptr;
    }
    return v;
  }

  /// The "type" of a component object such as pre_tokenizer.
  bool type(const json::Value &component, const std::string &path, std::string &out) const {
    if (!component.isObject())
      return error("'" + path + "' must be an object, not " + component.kindName());
    const json::Value *t =
        member(component, "type", path + ".type", &json::Value::isString, "a string");
    if (!t)
      return false;
    out = t->asString();
    return true;
  }

  /// Checks that the optional boolean `key` is absent, null or `expected`:
  /// the value Tern implements.
  bool flagIs(const json::Value &parent, const char *key, bool expected,
              const std::string &path) const {
    const json::Value *v = parent.find(key);
    if (!v || v->isNull() || (v->isBool() && v->asBool() == expected))
      return true;
    return error("'" + path + "." + key + "' must be " + (expected ? "true" : "false") + "; " +
                 kSupportedPipeline);
  }

  /// Checks that `key` is absent, null or "": a feature Tern does not have.
  bool unset(const json::Value &parent, const char *key, const std::string &path) const {
    const json::Value *v = parent.find(key);
    if (!v || v->isNull() || (v->isString() && v->asString().empty()))
      return true;
    return error("'" + path + "." + key + "' is not supported; " + kSupportedPipeline);
  }

private:
  std::string source_;
};

/// A token id from JSON, checked to be usable as a table index.
bool tokenIdFrom(const ConfigReader &reader, const json::Value &v, const std::string &path,
                 int32_t &id) {
  if (!v.isInteger() || v.asInt() < 0 || v.asInt() >= kMaxTokenId)
    return reader.error("'" + path + "' must be a token id from 0 to " +
                        std::to_string(kMaxTokenId - 1));
  id = static_cast<int32_t>(v.asInt());
  return true;
}

/// One symbol of a pre-token during BPE: a token covering the bytes from
/// its own index up to that of `next`.
struct Symbol {
  int32_t id, prev, next;
  bool alive;
};
/// A merge of the symbol at `pos` with the next one; lower rank first, then
/// leftmost.
struct Candidate {
  int32_t rank, pos;
  bool operator>(const Candidate &other) const {
    return rank != other.rank ? rank > other.rank : pos > other.pos;
  }
};

struct PcreCodeDeleter {
  void operator()(pcre2_code *code) const { pcre2_code_free(code); }
};
struct PcreMatchDataDeleter {
  void operator()(pcre2_match_data *data) const { pcre2_match_data_free(data); }
};
struct PcreMatchContextDeleter {
  void operator()(pcre2_match_context *context) const { pcre2_match_context_free(context); }
};

/// PCRE2 stops a match after a number of backtracking steps (10 million by
/// default), which one long run of spaces already takes with Llama 3's
/// regex, as \s*[\r\n]+ scans the run before \s+(?!\S) matches it. The
/// limit grows with the text instead: enough for any regex that is linear in
/// its subject, while a catastrophically backtracking one still stops.
constexpr uint64_t kBaseMatchLimit = 10000000, kMatchStepsPerByte = 64;

} // namespace

struct Tokenizer::Impl {
  enum Flag : uint8_t { kPresent = 1, kInVocab = 2, kAdded = 4, kSpecial = 8 };
  struct Merge {
    int32_t rank, id;
  };

  /// What decode() writes for each id: the bytes of a vocabulary token, or
  /// an added token's text.
  std::vector<std::string> text;
  std::vector<uint8_t> flags;
  /// The model's vocabulary by the bytes of each token (keys view `text`).
  std::unordered_map<std::string_view, int32_t> vocab;
  /// (left id << 32 | right id) -> rank and id of the merged token.
  std::unordered_map<uint64_t, Merge> merges;
  std::array<int32_t, 256> byteIds{};
  bool ignoreMerges = false;
  /// Added tokens by their text, and by first byte, longest first.
  std::unordered_map<std::string_view, int32_t> addedIds;
  std::array<std::vector<int32_t>, 256> addedByFirstByte;
  std::unique_ptr<pcre2_code, PcreCodeDeleter> regex;

  static uint64_t pairKey(int32_t left, int32_t right) {
    return (static_cast<uint64_t>(static_cast<uint32_t>(left)) << 32) |
           static_cast<uint32_t>(right);
  }
  const Merge *findMerge(int32_t left, int32_t right) const {
    auto it = merges.find(pairKey(left, right));
    return it == merges.end() ? nullptr : &it->second;
  }
  /// The length and id of the longest added token at text[pos], or 0.
  size_t addedTokenAt(std::string_view s, size_t pos, int32_t &id) const {
    for (int32_t candidate : addedByFirstByte[static_cast<unsigned char>(s[pos])]) {
      const std::string &content = text[candidate];
      if (s.compare(pos, content.size(), content) == 0) {
        id = candidate;
        return content.size();
      }
    }
    return 0;
  }

  bool loadPreTokenizer(const ConfigReader &reader, const json::Value &root);
  bool loadModel(const ConfigReader &reader, const json::Value &model,
                 std::vector<std::pair<std::string, int32_t>> &entries);
  bool loadAddedTokens(const ConfigReader &reader, const json::Value &root,
                       std::vector<std::pair<std::string, int32_t>> &added,
                       std::vector<bool> &special) const;
  bool buildTables(const ConfigReader &reader,
                   std::vector<std::pair<std::string, int32_t>> &entries,
                   std::vector<std::pair<std::string, int32_t>> &added,
                   const std::vector<bool> &special);
  bool loadMerges(const ConfigReader &reader, const json::Value &model);

  /// Buffers of one encode() call, reused across its pre-tokens.
  struct Scratch {
    std::unique_ptr<pcre2_match_data, PcreMatchDataDeleter> match;
    std::unique_ptr<pcre2_match_context, PcreMatchContextDeleter> limits;
    std::vector<Symbol> symbols;
    std::vector<Candidate> heap;
  };
  bool encodeSection(std::string_view section, Scratch &scratch, std::vector<int32_t> &ids) const;
  void encodePreToken(std::string_view bytes, Scratch &scratch, std::vector<int32_t> &ids) const;
};

bool Tokenizer::Impl::loadPreTokenizer(const ConfigReader &reader, const json::Value &root) {
  const json::Value *pre = root.find("pre_tokenizer");
  if (!pre || pre->isNull())
    return reader.error(std::string("missing 'pre_tokenizer'; ") + kSupportedPipeline);
  std::string type;
  if (!reader.type(*pre, "pre_tokenizer", type))
    return false;
  if (type != "Sequence")
    return reader.error("pre_tokenizer '" + type + "' is not supported; " + kSupportedPipeline);
  const json::Value *steps = reader.member(*pre, "pretokenizers", "pre_tokenizer.pretokenizers",
                                           &json::Value::isArray, "an array");
  if (!steps)
    return false;
  const json::Array &list = steps->asArray();
  if (list.size() != 2)
    return reader.error("pre_tokenizer.pretokenizers has " + std::to_string(list.size()) +
                        " steps, not 2; " + kSupportedPipeline);
  std::string splitType, byteLevelType;
  if (!reader.type(list[0], "pre_tokenizer.pretokenizers[0]", splitType) ||
      !reader.type(list[1], "pre_tokenizer.pretokenizers[1]", byteLevelType))
    return false;
  if (splitType != "Split" || byteLevelType != "ByteLevel")
    return reader.error("pre_tokenizer Sequence[" + splitType + ", " + byteLevelType +
                        "] is not supported; " + kSupportedPipeline);
  const json::Value &split = list[0], &bytes = list[1];
  const std::string splitPath = "pre_tokenizer.pretokenizers[0]";
  const json::Value *pattern =
      reader.member(split, "pattern", splitPath + ".pattern", &json::Value::isObject, "an object");
  const json::Value *behavior =
      reader.member(split, "behavior", splitPath + ".behavior", &json::Value::isString, "a string");
  if (!pattern || !behavior)
    return false;
  if (behavior->asString() != "Isolated")
    return reader.error("Split behavior '" + behavior->asString() + "' is not supported; " +
                        kSupportedPipeline);
  if (!reader.flagIs(split, "invert", false, splitPath) ||
      !reader.flagIs(bytes, "add_prefix_space", false, "pre_tokenizer.pretokenizers[1]") ||
      !reader.flagIs(bytes, "use_regex", false, "pre_tokenizer.pretokenizers[1]"))
    return false;
  const json::Value *source = reader.member(*pattern, "Regex", splitPath + ".pattern.Regex",
                                            &json::Value::isString, "a string");
  if (!source)
    return false;
  std::string rewritten = rewriteForPcre2(source->asString());
  int errorCode;
  PCRE2_SIZE errorOffset;
  // NEVER_BACKSLASH_C: \C could end a match inside a character, and the
  // matcher is told the subject is valid UTF-8 at every start offset.
  regex.reset(pcre2_compile(reinterpret_cast<PCRE2_SPTR>(rewritten.data()), rewritten.size(),
                            PCRE2_UTF | PCRE2_UCP | PCRE2_NEVER_BACKSLASH_C, &errorCode,
                            &errorOffset, nullptr));
  if (!regex)
    return reader.error("the Split regex '" + source->asString() +
                        "' is invalid: " + pcre2Message(errorCode) + " (at offset " +
                        std::to_string(errorOffset) + " of its PCRE2 form '" + rewritten + "')");
  // Without JIT (an unsupported CPU, or no executable memory) the
  // interpreter gives the same matches, only slower.
  pcre2_jit_compile(regex.get(), PCRE2_JIT_COMPLETE);
  return true;
}

bool Tokenizer::Impl::loadModel(const ConfigReader &reader, const json::Value &model,
                                std::vector<std::pair<std::string, int32_t>> &entries) {
  std::string type;
  if (!reader.type(model, "model", type))
    return false;
  if (type != "BPE")
    return reader.error("model type '" + type + "' is not supported; " + kSupportedPipeline);
  const json::Value *dropout = model.find("dropout");
  if (dropout && !dropout->isNull())
    return reader.error("BPE dropout is not supported: it makes tokenization random");
  if (!reader.unset(model, "continuing_subword_prefix", "model") ||
      !reader.unset(model, "end_of_word_suffix", "model"))
    return false;
  const json::Value *ignore = model.find("ignore_merges");
  if (ignore && !ignore->isNull() && !ignore->isBool())
    return reader.error(std::string("'model.ignore_merges' must be a boolean, not ") +
                        ignore->kindName());
  ignoreMerges = ignore && ignore->isBool() && ignore->asBool();
  const json::Value *vocabJson =
      reader.member(model, "vocab", "model.vocab", &json::Value::isObject, "an object");
  if (!vocabJson)
    return false;
  entries.clear();
  entries.reserve(vocabJson->asObject().size());
  for (const auto &[spelled, idJson] : vocabJson->asObject()) {
    std::string bytes;
    int32_t id;
    if (!tokenIdFrom(reader, idJson, "model.vocab[\"" + spelled + "\"]", id))
      return false;
    if (!byteLevelToBytes(spelled, bytes))
      return reader.error("vocab token '" + spelled + "' (id " + std::to_string(id) +
                          ") is not in byte-level form; the BPE model must be byte-level");
    entries.emplace_back(std::move(bytes), id);
  }
  return true;
}

bool Tokenizer::Impl::loadAddedTokens(const ConfigReader &reader, const json::Value &root,
                                      std::vector<std::pair<std::string, int32_t>> &added,
                                      std::vector<bool> &special) const {
  const json::Value *list = root.find("added_tokens");
  if (!list || list->isNull())
    return true;
  if (!list->isArray())
    return reader.error(std::string("'added_tokens' must be an array, not ") + list->kindName());
  for (size_t i = 0; i < list->asArray().size(); ++i) {
    const json::Value &token = list->asArray()[i];
    std::string path = "added_tokens[" + std::to_string(i) + "]";
    if (!token.isObject())
      return reader.error("'" + path + "' must be an object, not " + token.kindName());
    const json::Value *idJson =
        reader.member(token, "id", path + ".id", &json::Value::isNumber, "a number");
    const json::Value *content = idJson ? reader.member(token, "content", path + ".content",
                                                        &json::Value::isString, "a string")
                                        : nullptr;
    int32_t id;
    if (!content || !tokenIdFrom(reader, *idJson, path + ".id", id))
      return false;
    if (content->asString().empty() || !isValidUtf8(content->asString()))
      return reader.error("'" + path + ".content' must be non-empty UTF-8 text");
    // Hugging Face strips whitespace around tokens with lstrip/rstrip and
    // matches single_word ones only between word boundaries; Llama 3 uses
    // none of that, and silently ignoring it would tokenize differently.
    for (const char *unsupported : {"lstrip", "rstrip", "single_word"})
      if (!reader.flagIs(token, unsupported, false, path))
        return false;
    const json::Value *isSpecial = token.find("special");
    if (isSpecial && !isSpecial->isBool())
      return reader.error("'" + path + ".special' must be a boolean");
    added.emplace_back(content->asString(), id);
    special.push_back(isSpecial && isSpecial->asBool());
  }
  return true;
}

bool Tokenizer::Impl::buildTables(const ConfigReader &reader,
                                  std::vector<std::pair<std::string, int32_t>> &entries,
                                  std::vector<std::pair<std::string, int32_t>> &added,
                                  const std::vector<bool> &special) {
  int32_t maxId = -1;
  for (const auto &entry : entries)
    maxId = std::max(maxId, entry.second);
  for (const auto &token : added)
    maxId = std::max(maxId, token.second);
  text.assign(static_cast<size_t>(maxId) + 1, std::string());
  flags.assign(text.size(), 0);
  for (auto &[bytes, id] : entries) {
    if (flags[id] & kPresent)
      return reader.error("token id " + std::to_string(id) + " appears twice in model.vocab");
    text[id] = std::move(bytes);
    flags[id] = kPresent | kInVocab;
  }
  for (size_t i = 0; i < added.size(); ++i) {
    auto &[content, id] = added[i];
    if (flags[id] & kAdded)
      return reader.error("two added tokens have id " + std::to_string(id));
    if ((flags[id] & kInVocab) && text[id] != content)
      return reader.error("added token '" + content + "' has id " + std::to_string(id) +
                          ", which model.vocab gives to another token");
    text[id] = std::move(content);
    flags[id] |= kPresent | kAdded | (special[i] ? kSpecial : 0);
  }
  // Views into `text`, which no longer changes.
  vocab.reserve(entries.size());
  for (size_t id = 0; id < text.size(); ++id) {
    if ((flags[id] & kInVocab) && !vocab.emplace(text[id], static_cast<int32_t>(id)).second)
      return reader.error("token '" + text[id] + "' appears twice in model.vocab");
    if ((flags[id] & kAdded) && !addedIds.emplace(text[id], static_cast<int32_t>(id)).second)
      return reader.error("added token '" + text[id] + "' appears twice");
    if (flags[id] & kAdded)
      addedByFirstByte[static_cast<unsigned char>(text[id][0])].push_back(static_cast<int32_t>(id));
  }
  // Two candidates of one length cannot both match (their texts differ).
  for (auto &candidates : addedByFirstByte)
    std::sort(candidates.begin(), candidates.end(),
              [&](int32_t a, int32_t b) { return text[a].size() > text[b].size(); });
  for (int b = 0; b < 256; ++b) {
    char byte = static_cast<char>(b);
    auto it = vocab.find(std::string_view(&byte, 1));
    if (it == vocab.end())
      return reader.error("model.vocab has no token for the byte " + std::to_string(b) + " ('" +
                          byteLevelSpelling(static_cast<unsigned char>(b)) +
                          "'), so some text could not be encoded");
    byteIds[b] = it->second;
  }
  return true;
}

bool Tokenizer::Impl::loadMerges(const ConfigReader &reader, const json::Value &model) {
  const json::Value *list =
      reader.member(model, "merges", "model.merges", &json::Value::isArray, "an array");
  if (!list)
    return false;
  const json::Array &items = list->asArray();
  merges.reserve(items.size());
  std::string leftBytes, rightBytes;
  for (size_t rank = 0; rank < items.size(); ++rank) {
    const json::Value &item = items[rank];
    std::string where = "merge " + std::to_string(rank);
    // Two formats: "left right", or ["left", "right"] (tokenizers >= 0.20).
    std::string left, right;
    if (item.isString()) {
      const std::string &s = item.asString();
      size_t space = s.find(' ');
      if (space == std::string::npos || s.find(' ', space + 1) != std::string::npos)
        return reader.error(where + " ('" + s + "') must be two tokens separated by one space");
      left = s.substr(0, space);
      right = s.substr(space + 1);
    } else if (item.isArray() && item.asArray().size() == 2 && item.asArray()[0].isString() &&
               item.asArray()[1].isString()) {
      left = item.asArray()[0].asString();
      right = item.asArray()[1].asString();
    } else {
      return reader.error(where + " must be a string \"left right\" or an array of two strings");
    }
    where += " ('" + left + " " + right + "')";
    if (!byteLevelToBytes(left, leftBytes) || !byteLevelToBytes(right, rightBytes))
      return reader.error(where + " is not in byte-level form");
    auto leftIt = vocab.find(leftBytes), rightIt = vocab.find(rightBytes);
    if (leftIt == vocab.end() || rightIt == vocab.end())
      return reader.error(where + " refers to '" + (leftIt == vocab.end() ? left : right) +
                          "', which is not in model.vocab");
    auto mergedIt = vocab.find(leftBytes + rightBytes);
    if (mergedIt == vocab.end())
      return reader.error(where + " makes '" + left + right + "', which is not in model.vocab");
    // A pair listed twice keeps its last rank, as in Hugging Face's loaders.
    merges[pairKey(leftIt->second, rightIt->second)] = {static_cast<int32_t>(rank),
                                                        mergedIt->second};
  }
  return true;
}

Tokenizer::Tokenizer() = default;
Tokenizer::Tokenizer(Tokenizer &&other) noexcept = default;
Tokenizer &Tokenizer::operator=(Tokenizer &&other) noexcept = default;
Tokenizer::~Tokenizer() = default;

bool Tokenizer::load(std::string_view json, Tokenizer &out, const std::string &sourceName) {
  ConfigReader reader(sourceName);
  json::Value root;
  std::string parseError;
  if (!json::parse(json, root, parseError))
    return reader.error("not valid JSON: " + parseError);
  if (!root.isObject())
    return reader.error(std::string("a tokenizer.json must be a JSON object, not ") +
                        root.kindName());
  const json::Value *normalizer = root.find("normalizer");
  if (normalizer && !normalizer->isNull()) {
    std::string type;
    if (!reader.type(*normalizer, "normalizer", type))
      return false;
    return reader.error("normalizer '" + type + "' is not supported; " + kSupportedPipeline);
  }
  const json::Value *decoder = root.find("decoder");
  std::string decoderType;
  if (!decoder || decoder->isNull())
    return reader.error(std::string("missing 'decoder'; ") + kSupportedPipeline);
  if (!reader.type(*decoder, "decoder", decoderType))
    return false;
  if (decoderType != "ByteLevel")
    return reader.error("decoder '" + decoderType + "' is not supported; " + kSupportedPipeline);
  // The post-processor only adds special tokens (BOS) when asked to; encode()
  // never is, as the chat template writes the BOS token itself.
  auto impl = std::make_unique<Impl>();
  const json::Value *model =
      reader.member(root, "model", "model", &json::Value::isObject, "an object");
  std::vector<std::pair<std::string, int32_t>> entries, added;
  std::vector<bool> special;
  if (!model || !impl->loadPreTokenizer(reader, root) ||
      !impl->loadModel(reader, *model, entries) ||
      !impl->loadAddedTokens(reader, root, added, special) ||
      !impl->buildTables(reader, entries, added, special) || !impl->loadMerges(reader, *model))
    return false;
  out.impl_ = std::move(impl);
  return true;
}

bool Tokenizer::loadFile(const std::string &path, Tokenizer &out) {
  std::string text;
  if (!readFile(path, text))
    return false;
  return load(text, out, path);
}

bool Tokenizer::Impl::encodeSection(std::string_view section, Scratch &scratch,
                                    std::vector<int32_t> &ids) const {
  // The Split pre-tokenizer with behavior Isolated: every match, and every
  // stretch between matches, is a pre-token; empty matches produce nothing
  // and the search goes on one character further.
  size_t previousEnd = 0, offset = 0;
  const auto *subject = reinterpret_cast<PCRE2_SPTR>(section.data());
  while (offset < section.size()) {
    int rc = pcre2_match(regex.get(), subject, section.size(), offset, PCRE2_NO_UTF_CHECK,
                         scratch.match.get(), scratch.limits.get());
    if (rc == PCRE2_ERROR_NOMATCH)
      break;
    if (rc < 0)
      return fail("the pre-tokenizer's regex failed on this text: " + pcre2Message(rc));
    const PCRE2_SIZE *ovector = pcre2_get_ovector_pointer(scratch.match.get());
    size_t start = ovector[0], end = ovector[1];
    if (end < start)
      return fail("the pre-tokenizer's regex gave a match that ends before it starts");
    if (start > previousEnd)
      encodePreToken(section.substr(previousEnd, start - previousEnd), scratch, ids);
    if (end > start) {
      encodePreToken(section.substr(start, end - start), scratch, ids);
      offset = end;
    } else {
      uint32_t cp;
      offset = end + std::max<size_t>(1, utf8SequenceAt(section, end, cp));
    }
    previousEnd = end;
  }
  if (previousEnd < section.size())
    encodePreToken(section.substr(previousEnd), scratch, ids);
  return true;
}

void Tokenizer::Impl::encodePreToken(std::string_view bytes, Scratch &scratch,
                                     std::vector<int32_t> &ids) const {
  if (ignoreMerges) {
    auto it = vocab.find(bytes);
    if (it != vocab.end()) {
      ids.push_back(it->second);
      return;
    }
  }
  // Byte-level BPE: start from one symbol per byte and apply the merge of
  // lowest rank, leftmost first, until none applies. Candidates go stale
  // when a neighbour merges; they are dropped when popped.
  std::vector<Symbol> &symbols = scratch.symbols;
  std::vector<Candidate> &heap = scratch.heap;
  const int32_t n = static_cast<int32_t>(bytes.size());
  symbols.resize(n);
  for (int32_t i = 0; i < n; ++i)
    symbols[i] = {byteIds[static_cast<unsigned char>(bytes[i])], i - 1, i + 1 < n ? i + 1 : -1,
                  true};
  heap.clear();
  auto consider = [&](int32_t pos) {
    if (const Merge *merge = findMerge(symbols[pos].id, symbols[symbols[pos].next].id)) {
      heap.push_back({merge->rank, pos});
      std::push_heap(heap.begin(), heap.end(), std::greater<Candidate>());
    }
  };
  for (int32_t i = 0; i + 1 < n; ++i)
    consider(i);
  while (!heap.empty()) {
    std::pop_heap(heap.begin(), heap.end(), std::greater<Candidate>());
    Candidate top = heap.back();
    heap.pop_back();
    Symbol &left = symbols[top.pos];
    if (!left.alive || left.next < 0)
      continue;
    Symbol &right = symbols[left.next];
    const Merge *merge = findMerge(left.id, right.id);
    if (!merge || merge->rank != top.rank)
      continue;
    left.id = merge->id;
    right.alive = false;
    left.next = right.next;
    if (left.next >= 0)
      symbols[left.next].prev = top.pos;
    if (left.prev >= 0)
      consider(left.prev);
    if (left.next >= 0)
      consider(top.pos);
  }
  for (int32_t i = 0; i >= 0; i = symbols[i].next)
    ids.push_back(symbols[i].id);
}

bool Tokenizer::encode(std::string_view input, std::vector<int32_t> &ids, bool parseSpecial) const {
  ids.clear();
  if (!impl_)
    return fail("the tokenizer is not loaded");
  if (input.size() > static_cast<size_t>(INT32_MAX))
    return fail("cannot encode more than 2 GiB of text at once");
  const Impl &impl = *impl_;
  std::string text = toValidUtf8(input);
  Impl::Scratch scratch;
  scratch.match.reset(pcre2_match_data_create_from_pattern(impl.regex.get(), nullptr));
  scratch.limits.reset(pcre2_match_context_create(nullptr));
  if (!scratch.match || !scratch.limits)
    return fail("out of memory for the pre-tokenizer's regex");
  pcre2_set_match_limit(scratch.limits.get(),
                        static_cast<uint32_t>(std::min<uint64_t>(
                            UINT32_MAX, kBaseMatchLimit + kMatchStepsPerByte * text.size())));
  std::string_view view(text);
  size_t sectionStart = 0;
  // Added tokens are found first, leftmost and then longest, and the text
  // between them is tokenized on its own.
  for (size_t pos = 0; parseSpecial && pos < view.size();) {
    int32_t id;
    size_t length = impl.addedTokenAt(view, pos, id);
    if (length == 0) {
      ++pos;
      continue;
    }
    if (!impl.encodeSection(view.substr(sectionStart, pos - sectionStart), scratch, ids))
      return false;
    ids.push_back(id);
    pos += length;
    sectionStart = pos;
  }
  return impl.encodeSection(view.substr(sectionStart), scratch, ids);
}

bool Tokenizer::decode(const std::vector<int32_t> &ids, std::string &text, bool skipSpecial) const {
  text.clear();
  if (!impl_)
    return fail("the tokenizer is not loaded");
  // Bytes of consecutive ordinary tokens are decoded together, so that a
  // character split across tokens comes out whole; an added token ends the
  // run, as in Hugging Face's ByteLevel decoder.
  std::string pending;
  for (int32_t id : ids) {
    if (id < 0 || id >= vocabSize() || !(impl_->flags[id] & Impl::kPresent))
      return fail("token id " + std::to_string(id) + " is not in the vocabulary (" +
                  std::to_string(vocabSize()) + " ids)");
    uint8_t flags = impl_->flags[id];
    if (!(flags & Impl::kAdded)) {
      pending += impl_->text[id];
      continue;
    }
    if (skipSpecial && (flags & Impl::kSpecial))
      continue;
    text += toValidUtf8(pending);
    pending.clear();
    text += impl_->text[id];
  }
  text += toValidUtf8(pending);
  return true;
}

std::optional<std::string_view> Tokenizer::tokenBytes(int32_t id) const {
  if (!impl_ || id < 0 || id >= vocabSize() || !(impl_->flags[id] & Impl::kPresent))
    return std::nullopt;
  return std::string_view(impl_->text[id]);
}

std::optional<int32_t> Tokenizer::tokenId(std::string_view token) const {
  if (!impl_)
    return std::nullopt;
  auto added = impl_->addedIds.find(token);
  if (added != impl_->addedIds.end())
    return added->second;
  std::string bytes;
  if (!byteLevelToBytes(token, bytes))
    return std::nullopt;
  auto it = impl_->vocab.find(bytes);
  if (it == impl_->vocab.end())
    return std::nullopt;
  return it->second;
}

int32_t Tokenizer::vocabSize() const {
  return impl_ ? static_cast<int32_t>(impl_->text.size()) : 0;
}

bool Tokenizer::isSpecial(int32_t id) const {
  return impl_ && id >= 0 && id < vocabSize() && (impl_->flags[id] & Impl::kSpecial);
}

} // namespace tern::rt
