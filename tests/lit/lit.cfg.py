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
