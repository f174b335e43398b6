//===- TokenizerApi.cpp - the C API of tokenizers and chat templates ------===//
#include "runtime/include/tern/tokenizer.h"
#include "runtime/src/ChatTemplate.h"
#include "runtime/src/Error.h"
#include "runtime/src/Tokenizer.h"

#include <algorithm>

using namespace tern::rt;

struct tern_tokenizer {
  Tokenizer tokenizer;
};

struct tern_chat_template {
  ChatTemplate chatTemplate;
};

namespace {

bool checkBuffer(const void *buffer, int64_t capacity, const char *function) {
  if (capacity < 0 || (capacity > 0 && !buffer))
    return fail(std::string(function) + ": the output buffer is NULL or its capacity negative");
  return true;
}

/// Copies what fits of `text` and returns its full length (the C API's
/// buffer convention).
int64_t copyOut(std::string_view text, char *buffer, int64_t capacity) {
  std::copy_n(text.data(), std::min<size_t>(text.size(), static_cast<size_t>(capacity)), buffer);
  return static_cast<int64_t>(text.size());
}

} // namespace

extern "C" {

tern_tokenizer *tern_tokenizer_load(const char *path) {
  clearError();
  if (!path) {
    fail("tern_tokenizer_load: no path given");
    return nullptr;
  }
  auto *handle = new tern_tokenizer();
  if (!Tokenizer::loadFile(path, handle->tokenizer)) {
    delete handle;
    return nullptr;
  }
  return handle;
}

void tern_tokenizer_free(tern_tokenizer *tokenizer) { delete tokenizer; }

int64_t tern_tokenizer_encode(const tern_tokenizer *tokenizer, const char *text, size_t len,
                              int parseSpecial, int32_t *ids, int64_t capacity) {
  clearError();
  if (!tokenizer || (!text && len > 0)) {
    fail("tern_tokenizer_encode: no tokenizer or no text given");
    return -1;
  }
  if (!checkBuffer(ids, capacity, "tern_tokenizer_encode"))
    return -1;
  std::vector<int32_t> result;
  if (!tokenizer->tokenizer.encode(std::string_view(text, len), result, parseSpecial != 0))
    return -1;
  std::copy_n(result.begin(), std::min<size_t>(result.size(), static_cast<size_t>(capacity)), ids);
  return static_cast<int64_t>(result.size());
}

int64_t tern_tokenizer_decode(const tern_tokenizer *tokenizer, const int32_t *ids, int64_t count,
                              int skipSpecial, char *text, int64_t capacity) {
  clearError();
  if (!tokenizer || count < 0 || (!ids && count > 0)) {
    fail("tern_tokenizer_decode: no tokenizer, or no ids given");
    return -1;
  }
  if (!checkBuffer(text, capacity, "tern_tokenizer_decode"))
    return -1;
  std::string decoded;
  if (!tokenizer->tokenizer.decode(std::vector<int32_t>(ids, ids + count), decoded,
                                   skipSpecial != 0))
    return -1;
  return copyOut(decoded, text, capacity);
}

int64_t tern_tokenizer_token_bytes(const tern_tokenizer *tokenizer, int32_t id, char *bytes,
                                   int64_t capacity) {
  clearError();
  if (!tokenizer) {
    fail("tern_tokenizer_token_bytes: no tokenizer given");
    return -1;
  }
  if (!checkBuffer(bytes, capacity, "tern_tokenizer_token_bytes"))
    return -1;
  std::optional<std::string_view> token = tokenizer->tokenizer.tokenBytes(id);
  if (!token) {
    fail("token id " + std::to_string(id) + " is not in the vocabulary (" +
         std::to_string(tokenizer->tokenizer.vocabSize()) + " ids)");
    return -1;
  }
  return copyOut(*token, bytes, capacity);
}

int32_t tern_tokenizer_token_id(const tern_tokenizer *tokenizer, const char *token) {
  if (!tokenizer || !token)
    return -1;
  return tokenizer->tokenizer.tokenId(token).value_or(-1);
}

int32_t tern_tokenizer_vocab_size(const tern_tokenizer *tokenizer) {
  return tokenizer ? tokenizer->tokenizer.vocabSize() : 0;
}

int tern_tokenizer_is_special(const tern_tokenizer *tokenizer, int32_t id) {
  return tokenizer && tokenizer->tokenizer.isSpecial(id) ? 1 : 0;
}

tern_chat_template *tern_chat_template_parse(const char *source) {
  clearError();
  if (!source) {
    fail("tern_chat_template_parse: no template given");
    return nullptr;
  }
  auto *handle = new tern_chat_template();
  std::string error;
  if (!ChatTemplate::parse(source, handle->chatTemplate, error)) {
    fail("chat template: " + error);
    delete handle;
    return nullptr;
  }
  return handle;
}

void tern_chat_template_free(tern_chat_template *chatTemplate) { delete chatTemplate; }

int64_t tern_chat_template_render(const tern_chat_template *chatTemplate, const char *const *roles,
                                  const char *const *contents, int64_t count,
                                  int addGenerationPrompt, const char *bosToken,
                                  const char *eosToken, char *text, int64_t capacity) {
  clearError();
  if (!chatTemplate || count < 0 || (count > 0 && (!roles || !contents))) {
    fail("tern_chat_template_render: no template, or no messages given");
    return -1;
  }
  if (!checkBuffer(text, capacity, "tern_chat_template_render"))
    return -1;
  std::vector<ChatMessage> messages;
  for (int64_t i = 0; i < count; ++i) {
    if (!roles[i] || !contents[i]) {
      fail("tern_chat_template_render: message " + std::to_string(i) +
           " has a NULL role or content");
      return -1;
    }
    messages.push_back({roles[i], contents[i]});
  }
  std::string rendered, error;
  if (!chatTemplate->chatTemplate.render(messages, addGenerationPrompt != 0,
                                         bosToken ? bosToken : "", eosToken ? eosToken : "",
                                         rendered, error)) {
    fail("chat template: " + error);
    return -1;
  }
  return copyOut(rendered, text, capacity);
}

} // extern "C"
