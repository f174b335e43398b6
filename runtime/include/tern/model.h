/*===- model.h - Tern runtime: compiled models, sessions, sampling ---------===*
 *
 * A model is a NAME.tern directory written by `ternc compile`. A session
 * holds one conversation's KV cache and position; several sessions can share
 * a model. Errors are reported as in runtime.h (NULL / TERN_ERROR and
 * tern_last_error()).
 *
 *===----------------------------------------------------------------------===*/
#ifndef TERN_MODEL_H
#define TERN_MODEL_H

#include "tern/runtime.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct tern_model tern_model;

typedef struct {
  int64_t hidden, intermediate, layers, heads, kv_heads, head_dim;
  int64_t vocab;
  int64_t context;   /* positions the KV cache holds */
  int64_t max_batch; /* tokens per prefill call (tern_session_eval splits longer runs) */
  int64_t bos_token; /* -1 if the model has none */
  const int32_t *stop_tokens;
  int64_t num_stop_tokens;
  const char *chat_template;  /* "" if the checkpoint had none */
  const char *tokenizer_path; /* DIR/tokenizer.json */
  const char *target_cpu;
  const char *target_features;
  uint64_t weights_bytes;
  /* "sm_90" for a model compiled for NVIDIA GPUs (its ops run there and its
   * weights, caches and activations live there), "" for a CPU model. */
  const char *gpu_arch;
} tern_model_info;

/* Loads DIR/manifest.json, checks the format version, the CPU features, and
 * the checksums of model.so, weights.bin and tokenizer.json, maps the weights
 * and loads the library. */
tern_model *tern_model_load(const char *dir);
void tern_model_free(tern_model *model);
const tern_model_info *tern_model_get_info(const tern_model *model);

typedef struct tern_session tern_session;

/* A fresh conversation at position 0 whose work runs on `runtime`. */
tern_session *tern_session_create(const tern_model *model, tern_runtime *runtime);
void tern_session_free(tern_session *session);
int64_t tern_session_position(const tern_session *session);
/* Forgets everything after `position` (0 starts over). */
tern_status tern_session_rewind(tern_session *session, int64_t position);

/* Runs tokens[0..n) at the current position and advances it. Returns the
 * logits of the last token (vocab floats, valid until the next call), or
 * NULL with an error for an id outside the vocabulary or a full context.
 * With all_logits non-NULL it also receives the logits of every token,
 * row-major [n, vocab]. */
const float *tern_session_eval(tern_session *session, const int32_t *tokens, int64_t n,
                               float *all_logits);

/*--- Sampling ---------------------------------------------------------------*/

typedef struct {
  float temperature;    /* <= 0: greedy */
  int32_t top_k;        /* <= 0: no limit */
  float top_p;          /* >= 1: no limit */
  float repeat_penalty; /* 1: none */
  int32_t repeat_last_n;
  uint64_t seed;
} tern_sampler_params;

/* llama.cpp's defaults: temperature 0.8, top-k 40, top-p 0.95, no repetition
 * penalty over the last 64 tokens, seed 0. */
tern_sampler_params tern_sampler_default_params(void);

typedef struct tern_sampler tern_sampler;
tern_sampler *tern_sampler_create(const tern_sampler_params *params);
void tern_sampler_free(tern_sampler *sampler);
/* Chooses the next token from `logits` (not modified) and remembers it for
 * the repetition penalty. */
int32_t tern_sampler_sample(tern_sampler *sampler, const float *logits, int64_t vocab);
/* Remembers tokens that were not sampled (the prompt) for the penalty. */
void tern_sampler_accept(tern_sampler *sampler, int32_t token);

#ifdef __cplusplus
}
#endif

#endif /* TERN_MODEL_H */
