"""Checks a GPU model artifact's launches against its kernels.

Usage: check-launches.py MODEL.ptx MODEL.ll

Every tern_gpu_launch in the host code (MODEL.ll, from ternc --keep-ir) must
name a kernel of MODEL.ptx and pass exactly as many parameters as the kernel
declares. Prints one line per problem, then a summary.
"""
import re
import sys

ptx_path, ll_path = sys.argv[1], sys.argv[2]
ptx = open(ptx_path).read()
params = {}
for match in re.finditer(r"\.visible \.entry (\w+)\(([^)]*)\)", ptx):
    params[match.group(1)] = len(re.findall(r"\.param ", match.group(2)))

launches = re.findall(
    r"call void @tern_gpu_launch\(ptr [^,]+, ptr (?:nonnull )?@tern_kernel_name_(\w+),[^)]*, i64 (\d+)\)",
    open(ll_path).read())
problems = 0
for kernel, count in launches:
    if kernel not in params:
        print(f"launch of {kernel}: no such kernel in {ptx_path}")
        problems += 1
    elif params[kernel] != int(count):
        print(f"launch of {kernel}: {count} parameters, the kernel takes {params[kernel]}")
        problems += 1
unlaunched = sorted(set(params) - {k for k, _ in launches})
for kernel in unlaunched:
    print(f"kernel {kernel} is never launched")
    problems += 1
print(f"{len(launches)} launches of {len(params)} kernels, {problems} problems")
sys.exit(1 if problems or not launches else 0)
