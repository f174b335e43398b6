/*===- runtime.h - Tern runtime C API --------------------------------------===*
 *
 * The runtime loads what ternc writes and runs it. It links neither MLIR nor
 * LLVM. Every function that can fail returns NULL or TERN_ERROR and leaves a
 * message for tern_last_error() on the calling thread.
 *
 *===----------------------------------------------------------------------===*/
#ifndef TERN_RUNTIME_H
#define TERN_RUNTIME_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Version of the artifact format (manifest.json "format_version") this
 * runtime reads. */
#define TERN_ARTIFACT_FORMAT_VERSION 1

typedef enum { TERN_OK = 0, TERN_ERROR = 1 } tern_status;

/* The message of the last failure on this thread ("" when none). */
const char *tern_last_error(void);
/* Tern's version, e.g. "0.1.0". */
const char *tern_version(void);

/*--- Threads --------------------------------------------------------------*/

typedef struct tern_runtime tern_runtime;

/* A pool of num_threads threads (the caller counts as one); num_threads <= 0
 * means one per online CPU. Kernels keep per-call scratch on the stacks of
 * the threads that run them, up to about 2 MiB (prefill: a block's decoded
 * weights, at most 1 MiB; AMX also a zero-padded copy of fewer than 16
 * activation rows):
 * call them from threads with 4 MiB of stack or more (Linux's default is 8). */
tern_runtime *tern_runtime_create(int num_threads);
void tern_runtime_destroy(tern_runtime *runtime);
int tern_runtime_num_threads(const tern_runtime *runtime);

/* The one callback of generated code: runs fn(closure, begin, end) over
 * disjoint ranges covering [0, count), on the runtime's threads, and returns
 * when all are done. Called from inside a task it runs inline. */
typedef void (*tern_task_fn)(void *closure, int64_t begin, int64_t end);
void tern_parallel_for(void *runtime, int64_t count, tern_task_fn fn, void *closure);

/* The callback of a model compiled for a GPU: its host code launches kernel
 * `kernel` of the model's PTX on blocks_x x blocks_y blocks of `threads`
 * threads, with its `count` parameters in 8-byte slots at `args`. `gpu` is
 * what the runtime passed the model as its runtime context. Launches run in
 * order; a failure is reported when the model's call returns. */
void tern_gpu_launch(void *gpu, const char *kernel, int64_t blocks_x, int64_t blocks_y,
                     int64_t threads, uint64_t *args, int64_t count);

/*--- Host CPU -------------------------------------------------------------*/

/* 1 if the host has the feature (LLVM's spelling, e.g. "avx512vnni"), 0 if
 * not, -1 if the runtime does not know the name. */
int tern_cpu_has_feature(const char *name);
/* Comma-separated features of the host that the runtime knows. */
const char *tern_cpu_features(void);
/* "x86_64" or "aarch64". */
const char *tern_host_arch(void);
/* The CPU's name as it reports it, e.g. "AMD EPYC 9B45". */
const char *tern_cpu_name(void);

/* The checksum that manifests record for their files (64-bit, hex). */
uint64_t tern_checksum64(const void *data, size_t size);

/*--- Compiled kernels (ternc kernel) --------------------------------------*/

typedef struct tern_kernel tern_kernel;

typedef struct {
  int64_t n;            /* output rows of the weight matrix */
  int64_t k;            /* input columns */
  int64_t m_hint;       /* rows the kernel was tuned for; any m >= 1 runs */
  const char *packing;  /* "i2", "base3", "lut2", "lut3" */
  const char *strategy; /* "mfree", "lut" */
  const char *layout;   /* byte layout of the packed weights, e.g. "mfree_i2" */
  int64_t lanes;        /* kernel parameters, see #tern.kernel */
  int64_t tile_n;
  int64_t tile_m;
  int64_t unroll_k;
  int64_t prefetch;
  int64_t streams;
  int64_t packed_bytes; /* size of the packed weight buffer */
  int64_t slabs;        /* K slabs of the mfree layouts (1: K not split) */
  const char *target_triple;
  const char *target_cpu;
  const char *target_features; /* comma-separated, as required */
} tern_kernel_info;

/* Loads DIR/manifest.json and the library it names. Refuses, with a message,
 * an unknown format version, a library whose checksum does not match, and a
 * kernel that needs CPU features this machine lacks. NVPTX kernels
 * (kernel.ptx) load on the first NVIDIA GPU through the CUDA driver, opened
 * now with dlopen (libcuda.so.1, or $TERN_CUDA_LIBRARY); without a driver, a
 * GPU, or a GPU as new as the kernel's architecture, loading fails saying
 * which. Their tern_kernel_matmul copies the buffers to the GPU and back. */
tern_kernel *tern_kernel_load(const char *dir);
void tern_kernel_unload(tern_kernel *kernel);
/* The first NVIDIA GPU's architecture ("sm_90"), loading the CUDA driver as
 * above; NULL with an error where there is no driver or no GPU. */
const char *tern_gpu_arch(void);
/* The first GPU's memory bandwidth in GB/s (device-to-device copies of 1 GiB,
 * each byte read and written once); -1 with an error without a GPU. */
double tern_gpu_bandwidth(void);
const tern_kernel_info *tern_kernel_get_info(const tern_kernel *kernel);

/* y[m][n] = (sum_k a[m][k] * w[n][k]) / (a_scale[m] * w_scale), with w packed
 * in the kernel's layout (packed_bytes bytes). */
tern_status tern_kernel_matmul(const tern_kernel *kernel, tern_runtime *runtime, const int8_t *a,
                               const float *a_scale, const uint8_t *w, float w_scale, float *y,
                               int64_t m);

/* GPU kernels: keeps a copy of the packed weights at w on the GPU, which
 * tern_kernel_matmul then reads whenever it is given this pointer, as a model
 * keeps its weights there. Any number of buffers; freed with the kernel.
 * CPU kernels read host memory: nothing to do. */
tern_status tern_kernel_bind_weights(tern_kernel *kernel, const uint8_t *w);
/* GPU kernels: the seconds the GPU spent in the last tern_kernel_matmul's
 * kernel (CUDA events around the launch, copies excluded); -1 for CPU
 * kernels. */
double tern_kernel_gpu_seconds(const tern_kernel *kernel);

#ifdef __cplusplus
}
#endif

#endif /* TERN_RUNTIME_H */
