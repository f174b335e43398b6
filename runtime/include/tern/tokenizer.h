/*===- tokenizer.h - Tern tokenizer and chat template C API ---------------===*
 *
 * The tokenizer reads a Hugging Face tokenizer.json of Llama 3's kind
 * (byte-level BPE; BitNet b1.58 2B4T uses it) and gives the ids Hugging
 * Face's tokenizers give. The chat template renders a conversation with the
 * Jinja subset that chat templates use, as transformers renders it.
 *
 * Functions that fill a caller's buffer return the full count (ids or
 * bytes) and write min(count, capacity) elements; when the count exceeds
 * the capacity, call again with a larger buffer. Text is not
 * NUL-terminated. Failures return NULL or -1 and leave a message for
 * tern_last_error() (runtime.h) on the calling thread.
 *
 *===----------------------------------------------------------------------===*/
#ifndef TERN_TOKENIZER_H
#define TERN_TOKENIZER_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/*--- Tokenizer -------------------------------------------------------------*/

typedef struct tern_tokenizer tern_tokenizer;

/* Loads a tokenizer.json. Refuses, naming the problem, a file that is not
 * JSON or describes a tokenizer other than Llama 3's kind. */
tern_tokenizer *tern_tokenizer_load(const char *tokenizer_json_path);
void tern_tokenizer_free(tern_tokenizer *tokenizer);

/* The ids of text[0, len). With parse_special, added tokens' text such as
 * "<|eot_id|>" becomes their ids; without, it is tokenized as plain text.
 * No BOS is added. Bytes that are not valid UTF-8 are read as U+FFFD. */
int64_t tern_tokenizer_encode(const tern_tokenizer *tokenizer, const char *text, size_t len,
                              int parse_special, int32_t *ids, int64_t capacity);

/* The UTF-8 text of ids[0, count), without special tokens if skip_special.
 * A character whose bytes are cut off by the end or by an added token
 * comes out as U+FFFD. Fails on an id outside the vocabulary. */
int64_t tern_tokenizer_decode(const tern_tokenizer *tokenizer, const int32_t *ids, int64_t count,
                              int skip_special, char *text, int64_t capacity);

/* The raw bytes of one token, which may be part of a UTF-8 sequence: what a
 * streaming printer appends as tokens arrive. */
int64_t tern_tokenizer_token_bytes(const tern_tokenizer *tokenizer, int32_t id, char *bytes,
                                   int64_t capacity);

/* The id of a token as tokenizer.json spells it ("<|eot_id|>"), or -1. */
int32_t tern_tokenizer_token_id(const tern_tokenizer *tokenizer, const char *token);
/* One more than the largest id, added tokens included (128256 for Llama 3). */
int32_t tern_tokenizer_vocab_size(const tern_tokenizer *tokenizer);
/* 1 if id is an added token marked special (e.g. <|eot_id|>), else 0. */
int tern_tokenizer_is_special(const tern_tokenizer *tokenizer, int32_t id);

/*--- Chat template --------------------------------------------------------*/

typedef struct tern_chat_template tern_chat_template;

/* Parses a chat template (tokenizer_config.json's "chat_template"). A
 * syntax error is reported with its line and column. */
tern_chat_template *tern_chat_template_parse(const char *source);
void tern_chat_template_free(tern_chat_template *chat_template);

/* Renders count messages (roles[i], contents[i]) with the template's
 * variables messages, add_generation_prompt, bos_token and eos_token, into
 * text. Fails with the template's own message on raise_exception(). */
int64_t tern_chat_template_render(const tern_chat_template *chat_template, const char *const *roles,
                                  const char *const *contents, int64_t count,
                                  int add_generation_prompt, const char *bos_token,
                                  const char *eos_token, char *text, int64_t capacity);

#ifdef __cplusplus
}
#endif

#endif /* TERN_TOKENIZER_H */
