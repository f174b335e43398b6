//===- Model.cpp - loading NAME.tern and running sessions -----------------===//
#include "runtime/include/tern/model.h"
#include "runtime/src/Cuda.h"
#include "runtime/src/Error.h"
#include "runtime/src/File.h"
#include "runtime/src/Manifest.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <mutex>
#include <vector>

using namespace tern::rt;

// The C signature of tern_model_prefill and tern_model_decode.
using ModelEntry = void (*)(void *runtime, const uint8_t *weights, float *kCache, float *vCache,
                            uint8_t *scratch, const int32_t *tokens, int64_t n, int64_t position,
                            float *logits, int64_t firstLogitRow);

namespace {

/// A read-only mapping of a whole file.
struct MappedFile {
  void *data = MAP_FAILED;
  size_t size = 0;
  ~MappedFile() {
    if (data != MAP_FAILED)
      munmap(data, size);
  }
  bool map(const std::string &path) {
    int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
      return fail("cannot open " + path + ": " + std::strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0 || st.st_size == 0) {
      close(fd);
      return fail("cannot map " + path + ": empty or unreadable file");
    }
    size = static_cast<size_t>(st.st_size);
    data = mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
    int err = errno;
    close(fd);
    if (data == MAP_FAILED)
      return fail("cannot map " + path + ": " + std::strerror(err));
    return true;
  }
};

/// Anonymous zeroed memory: the KV cache only costs what is touched.
struct AnonymousMemory {
  void *data = MAP_FAILED;
  size_t size = 0;
  ~AnonymousMemory() {
    if (data != MAP_FAILED)
      munmap(data, size);
  }
  bool allocate(size_t bytes, const char *what) {
    size = std::max<size_t>(bytes, 1);
    data = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (data == MAP_FAILED)
      return fail(std::string("cannot allocate ") + std::to_string(bytes >> 20) + " MiB for the " +
                  what + ": " + std::strerror(errno));
    return true;
  }
};

/// Device memory of a GPU model's session.
struct DeviceMemory {
  CudaModel *gpu = nullptr;
  CudaModel::DevicePtr ptr = 0;
  ~DeviceMemory() {
    if (gpu)
      gpu->release(ptr);
  }
  bool allocate(CudaModel &model, size_t bytes, const char *what) {
    gpu = &model;
    ptr = model.allocate(std::max<size_t>(bytes, 1), what);
    return ptr != 0;
  }
  template <typename T> T *as() const { return reinterpret_cast<T *>(static_cast<uintptr_t>(ptr)); }
};

} // namespace

struct tern_model {
  tern_model_info info{};
  MappedFile weights;
  /// Set for a model compiled for a GPU: its kernels and weights there.
  std::unique_ptr<CudaModel> gpu;
  /// Sessions of a GPU model take turns: their launches share its stream.
  mutable std::mutex gpuTurn;
  void *library = nullptr;
  ModelEntry prefill = nullptr, decode = nullptr;
  int64_t prefillBytesPerRow = 0, prefillBytesFixed = 0, decodeBytes = 0;
  std::vector<int32_t> stopTokens;
  std::string chatTemplate, tokenizerPath, cpu, features, gpuArch;

  ~tern_model() {
    if (library)
      dlclose(library);
  }
};

struct tern_session {
  const tern_model *model = nullptr;
  tern_runtime *runtime = nullptr;
  AnonymousMemory kCache, vCache, scratch;
  // On a GPU: the same buffers there, and the tokens and logits of a call.
  DeviceMemory gpuK, gpuV, gpuScratch, gpuTokens, gpuLogits;
  std::vector<float> logits;
  int64_t position = 0;
};

static bool loadModel(const std::string &dir, tern_model &m) {
  json::Value root;
  if (!ManifestReader::load(dir, "tern-model", root))
    return false;
  ManifestReader reader(joinPath(dir, "manifest.json"));
  const json::Value *model, *entry, *target, *special, *scratch, *kv;
  std::string library, libraryChecksum, weights, weightsChecksum, tokenizer, tokenizerChecksum,
      prefillName, decodeName, kvType;
  int64_t weightsBytes = 0, kvLayers = 0, kvRow = 0, kvContext = 0;
  tern_model_info &info = m.info;
  if (!reader.object(root, "model", model) || !reader.object(root, "entry", entry) ||
      !reader.object(root, "target", target) || !reader.object(root, "special_tokens", special) ||
      !reader.object(root, "scratch", scratch) || !reader.object(root, "kv_cache", kv) ||
      !reader.string(root, "library", library) ||
      !reader.string(root, "library_checksum", libraryChecksum) ||
      !reader.string(root, "weights", weights) ||
      !reader.string(root, "weights_checksum", weightsChecksum) ||
      !reader.positiveInt(root, "weights_bytes", weightsBytes) ||
      !reader.string(root, "tokenizer", tokenizer) ||
      !reader.string(root, "tokenizer_checksum", tokenizerChecksum) ||
      !reader.string(root, "chat_template", m.chatTemplate) ||
      !reader.string(*entry, "prefill", prefillName, "entry") ||
      !reader.string(*entry, "decode", decodeName, "entry") ||
      !reader.positiveInt(*model, "hidden", info.hidden, "model") ||
      !reader.positiveInt(*model, "intermediate", info.intermediate, "model") ||
      !reader.positiveInt(*model, "layers", info.layers, "model") ||
      !reader.positiveInt(*model, "heads", info.heads, "model") ||
      !reader.positiveInt(*model, "kv_heads", info.kv_heads, "model") ||
      !reader.positiveInt(*model, "head_dim", info.head_dim, "model") ||
      !reader.positiveInt(*model, "vocab", info.vocab, "model") ||
      !reader.positiveInt(*model, "context", info.context, "model") ||
      !reader.positiveInt(*scratch, "max_batch", info.max_batch, "scratch") ||
      !reader.positiveInt(*scratch, "prefill_bytes_per_row", m.prefillBytesPerRow, "scratch") ||
      !reader.positiveInt(*scratch, "decode_bytes", m.decodeBytes, "scratch") ||
      !reader.string(*kv, "dtype", kvType, "kv_cache") ||
      !reader.positiveInt(*kv, "layers", kvLayers, "kv_cache") ||
      !reader.positiveInt(*kv, "context", kvContext, "kv_cache") ||
      !reader.positiveInt(*kv, "row_elements", kvRow, "kv_cache") ||
      !reader.string(*target, "cpu", m.cpu, "target"))
    return false;
  if (const json::Value *fixed = scratch->find("prefill_bytes_fixed"); fixed && fixed->isInteger())
    m.prefillBytesFixed = fixed->asInt();
  if (kvType != "f32" || kvLayers != info.layers || kvContext != info.context ||
      kvRow != info.kv_heads * info.head_dim)
    return reader.error("the kv_cache description does not match the model");
  const json::Value *bos = special->find("bos");
  info.bos_token = bos && bos->isInteger() ? bos->asInt() : -1;
  const json::Value *stop = special->find("stop");
  if (!stop || !stop->isArray())
    return reader.error("'special_tokens.stop' must be an array of token ids");
  for (const json::Value &id : stop->asArray()) {
    if (!id.isInteger() || id.asInt() < 0 || id.asInt() >= info.vocab)
      return reader.error("'special_tokens.stop' holds an id outside the vocabulary");
    m.stopTokens.push_back(static_cast<int32_t>(id.asInt()));
  }
  if (!checkTargetRunsHere(reader, *target, m.features))
    return false;
  for (const std::string *name : {&library, &weights, &tokenizer})
    if (name->empty() || name->find('/') != std::string::npos)
      return reader.error("artifact files must be named inside the artifact directory");

  std::string libraryPath = joinPath(dir, library);
  m.tokenizerPath = joinPath(dir, tokenizer);
  if (!checkFileChecksum(reader, libraryPath, libraryChecksum) ||
      !checkFileChecksum(reader, m.tokenizerPath, tokenizerChecksum))
    return false;
  std::string weightsPath = joinPath(dir, weights);
  if (!m.weights.map(weightsPath))
    return false;
  if (static_cast<int64_t>(m.weights.size) != weightsBytes)
    return reader.error(weightsPath + " has " + std::to_string(m.weights.size) +
                        " bytes but the manifest records " + std::to_string(weightsBytes) +
                        " (truncated or replaced)");
  std::string actual = hex64(tern_checksum64(m.weights.data, m.weights.size));
  if (actual != weightsChecksum)
    return reader.error("checksum of " + weightsPath + " is " + actual + " but the manifest records " +
                        weightsChecksum + ": the file is corrupt or does not belong to this artifact");

  if (const json::Value *gpu = root.find("gpu")) {
    std::string arch, kernels, kernelsChecksum;
    if (!reader.string(*gpu, "arch", arch, "gpu") || !reader.string(*gpu, "kernels", kernels, "gpu") ||
        !reader.string(*gpu, "kernels_checksum", kernelsChecksum, "gpu"))
      return false;
    if (kernels.empty() || kernels.find('/') != std::string::npos)
      return reader.error("artifact files must be named inside the artifact directory");
    std::string kernelsPath = joinPath(dir, kernels), ptx;
    if (!checkFileChecksum(reader, kernelsPath, kernelsChecksum) || !readFile(kernelsPath, ptx))
      return false;
    m.gpuArch = arch;
    m.gpu = std::make_unique<CudaModel>();
    if (!m.gpu->load(ptx, arch, m.weights.data, m.weights.size))
      return fail("cannot run " + dir + " (compiled for NVIDIA GPUs, " + arch + "): " + lastError());
  }

  m.library = dlopen(libraryPath.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!m.library)
    return fail("cannot load " + libraryPath + ": " + dlerror());
  m.prefill = reinterpret_cast<ModelEntry>(dlsym(m.library, prefillName.c_str()));
  m.decode = reinterpret_cast<ModelEntry>(dlsym(m.library, decodeName.c_str()));
  if (!m.prefill || !m.decode)
    return fail(libraryPath + " lacks the entry points '" + prefillName + "' and '" + decodeName + "'");

  info.stop_tokens = m.stopTokens.data();
  info.num_stop_tokens = static_cast<int64_t>(m.stopTokens.size());
  info.chat_template = m.chatTemplate.c_str();
  info.tokenizer_path = m.tokenizerPath.c_str();
  info.target_cpu = m.cpu.c_str();
  info.target_features = m.features.c_str();
  info.weights_bytes = static_cast<uint64_t>(weightsBytes);
  info.gpu_arch = m.gpuArch.c_str();
  return true;
}

extern "C" {

tern_model *tern_model_load(const char *dir) {
  clearError();
  if (!dir) {
    fail("tern_model_load: no directory given");
    return nullptr;
  }
  auto *model = new tern_model();
  if (!loadModel(dir, *model)) {
    delete model;
    return nullptr;
  }
  return model;
}

void tern_model_free(tern_model *model) { delete model; }

const tern_model_info *tern_model_get_info(const tern_model *model) {
  return model ? &model->info : nullptr;
}

tern_session *tern_session_create(const tern_model *model, tern_runtime *runtime) {
  clearError();
  if (!model || !runtime) {
    fail("tern_session_create: a model and a runtime are required");
    return nullptr;
  }
  auto *s = new tern_session();
  s->model = model;
  s->runtime = runtime;
  const tern_model_info &i = model->info;
  size_t cacheBytes = static_cast<size_t>(i.layers * i.context * i.kv_heads * i.head_dim) * 4;
  size_t scratchBytes = static_cast<size_t>(std::max(
      model->prefillBytesPerRow * i.max_batch + model->prefillBytesFixed, model->decodeBytes));
  bool allocated =
      model->gpu
          ? s->gpuK.allocate(*model->gpu, cacheBytes, "cuMemAlloc (key cache)") &&
                s->gpuV.allocate(*model->gpu, cacheBytes, "cuMemAlloc (value cache)") &&
                s->gpuScratch.allocate(*model->gpu, scratchBytes, "cuMemAlloc (activations)") &&
                s->gpuTokens.allocate(*model->gpu, sizeof(int32_t) * i.max_batch, "cuMemAlloc (tokens)") &&
                s->gpuLogits.allocate(*model->gpu, sizeof(float) * i.max_batch * i.vocab,
                                      "cuMemAlloc (logits)")
          : s->kCache.allocate(cacheBytes, "key cache") &&
                s->vCache.allocate(cacheBytes, "value cache") &&
                s->scratch.allocate(scratchBytes, "activations");
  if (!allocated) {
    delete s;
    return nullptr;
  }
  s->logits.resize(static_cast<size_t>(i.vocab));
  return s;
}

void tern_session_free(tern_session *session) { delete session; }

int64_t tern_session_position(const tern_session *session) {
  return session ? session->position : 0;
}

tern_status tern_session_rewind(tern_session *session, int64_t position) {
  if (!session || position < 0 || position > session->position)
    return fail("tern_session_rewind: position must lie between 0 and the current position"),
           TERN_ERROR;
  session->position = position;
  return TERN_OK;
}

const float *tern_session_eval(tern_session *s, const int32_t *tokens, int64_t n,
                               float *allLogits) {
  clearError();
  if (!s || !tokens || n < 1) {
    fail("tern_session_eval: a session and at least one token are required");
    return nullptr;
  }
  const tern_model &m = *s->model;
  const tern_model_info &info = m.info;
  for (int64_t i = 0; i < n; ++i)
    if (tokens[i] < 0 || tokens[i] >= info.vocab) {
      fail("token id " + std::to_string(tokens[i]) + " at index " + std::to_string(i) +
           " is outside the vocabulary of " + std::to_string(info.vocab) + " tokens");
      return nullptr;
    }
  if (s->position + n > info.context) {
    fail("the context of " + std::to_string(info.context) + " tokens is full: " +
         std::to_string(s->position) + " used, " + std::to_string(n) +
         " more requested (compile with a larger --context, or start over)");
    return nullptr;
  }
  auto *weights = static_cast<const uint8_t *>(m.weights.data);
  auto *k = static_cast<float *>(s->kCache.data);
  auto *v = static_cast<float *>(s->vCache.data);
  auto *scratch = static_cast<uint8_t *>(s->scratch.data);
  for (int64_t done = 0; done < n;) {
    int64_t chunk = std::min(n - done, info.max_batch);
    bool last = done + chunk == n;
    float *out = s->logits.data();
    int64_t first = chunk; // no logits for chunks before the last
    if (allLogits) {
      out = allLogits + done * info.vocab;
      first = 0;
    } else if (last) {
      first = chunk - 1;
    }
    ModelEntry entry = chunk == 1 ? m.decode : m.prefill;
    if (m.gpu) {
      // The host code gets GPU addresses, launches kernels and returns.
      std::lock_guard<std::mutex> turn(m.gpuTurn);
      CudaModel &gpu = *m.gpu;
      size_t logitsBytes = sizeof(float) * static_cast<size_t>((chunk - first) * info.vocab);
      if (!gpu.upload(s->gpuTokens.ptr, tokens + done, sizeof(int32_t) * chunk))
        return nullptr;
      entry(&gpu, reinterpret_cast<const uint8_t *>(static_cast<uintptr_t>(gpu.weights())),
            s->gpuK.as<float>(), s->gpuV.as<float>(), s->gpuScratch.as<uint8_t>(),
            s->gpuTokens.as<int32_t>(), chunk, s->position, s->gpuLogits.as<float>(), first);
      if (!gpu.finish() || (logitsBytes && !gpu.download(out, s->gpuLogits.ptr, logitsBytes)))
        return nullptr;
    } else {
      entry(s->runtime, weights, k, v, scratch, tokens + done, chunk, s->position, out, first);
    }
    s->position += chunk;
    done += chunk;
  }
  if (allLogits)
    std::memcpy(s->logits.data(), allLogits + (n - 1) * info.vocab, info.vocab * sizeof(float));
  return s->logits.data();
}

} // extern "C"
