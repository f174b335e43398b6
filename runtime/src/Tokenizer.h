//===- Tokenizer.h - byte-level BPE as Llama 3 ships it ---------*- C++ -*-===//
//
// Reads a Hugging Face tokenizer.json of the kind Llama 3 (and so BitNet
// b1.58 2B4T) ships and tokenizes exactly as Hugging Face's tokenizers do:
// added tokens are split out of the text first, the rest is cut into
// pre-tokens by the Split pre-tokenizer's regex (run by PCRE2), and each
// pre-token's bytes are merged by byte-level BPE. Anything else in a
// tokenizer.json (a normalizer, another model or pre-tokenizer) is refused
// with a message rather than tokenized differently. One limit: the regex's
// \p{L} and \p{N} know the letters and digits of Unicode 14, the version of
// Debian 12's PCRE2; characters assigned since are not letters to it.
//
//===----------------------------------------------------------------------===//
#ifndef TERN_RUNTIME_TOKENIZER_H
#define TERN_RUNTIME_TOKENIZER_H

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tern::rt {

class Tokenizer {
public:
  Tokenizer();
  Tokenizer(Tokenizer &&other) noexcept;
  Tokenizer &operator=(Tokenizer &&other) noexcept;
  ~Tokenizer();

  /// Builds the tokenizer from the text of a tokenizer.json. On failure
  /// records (fail()) what is wrong, prefixed by `sourceName`, and returns
  /// false.
  static bool load(std::string_view json, Tokenizer &out,
                   const std::string &sourceName = "tokenizer.json");
  static bool loadFile(const std::string &path, Tokenizer &out);

  /// The ids of `text`, as Hugging Face's encode(text, add_special_tokens=
  /// False) gives them: the post-processor's tokens are never added, since
  /// the chat template writes the BOS token itself. Text that is not valid
  /// UTF-8 is first made valid by toValidUtf8 (Utf8.h). With `parseSpecial`
  /// false the text of added tokens such as "<|eot_id|>" is tokenized as
  /// plain text. Fails (fail()) only when PCRE2 gives up on the input (its
  /// match or memory limits).
  bool encode(std::string_view text, std::vector<int32_t> &ids, bool parseSpecial = true) const;

  /// The text of `ids`, as Hugging Face's ByteLevel decoder gives it: the
  /// bytes of each run of ordinary tokens, made valid by toValidUtf8, and
  /// added tokens' text. Fails on an id outside the vocabulary.
  bool decode(const std::vector<int32_t> &ids, std::string &text, bool skipSpecial = false) const;

  /// The raw bytes of one token (possibly part of a UTF-8 sequence, which is
  /// what a streaming printer needs), or nothing for an id outside the
  /// vocabulary.
  std::optional<std::string_view> tokenBytes(int32_t id) const;
  /// The id of a token as tokenizer.json spells it: an added token's text
  /// ("<|eot_id|>") or a vocabulary entry in its byte-level form ("Ġthe").
  std::optional<int32_t> tokenId(std::string_view token) const;
  /// One more than the largest id, added tokens included (128256 for Llama 3).
  int32_t vocabSize() const;
  /// True for added tokens marked "special" (skipped by decode(skipSpecial)).
  bool isSpecial(int32_t id) const;

private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

} // namespace tern::rt

#endif // TERN_RUNTIME_TOKENIZER_H
