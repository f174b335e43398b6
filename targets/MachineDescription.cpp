//===- MachineDescription.cpp - YAML target descriptions ------------------===//
#include "targets/MachineDescription.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/YAMLTraits.h"
#include "llvm/Support/raw_ostream.h"

#include <functional>

using tern::MachineDescription;

LLVM_YAML_IS_SEQUENCE_VECTOR(MachineDescription::Cache)

namespace llvm::yaml {

template <> struct MappingTraits<MachineDescription::Vector> {
  static void mapping(IO &io, MachineDescription::Vector &v) {
    io.mapRequired("width_bits", v.widthBits);
    io.mapRequired("registers", v.registers);
  }
};
template <> struct MappingTraits<MachineDescription::Int8Dot> {
  static void mapping(IO &io, MachineDescription::Int8Dot &d) {
    io.mapRequired("macs_per_cycle", d.macsPerCycle);
    io.mapRequired("latency_cycles", d.latencyCycles);
  }
};
template <> struct MappingTraits<MachineDescription::Lookup> {
  static void mapping(IO &io, MachineDescription::Lookup &l) {
    io.mapRequired("table_entries", l.tableEntries);
    io.mapRequired("bytes_per_cycle", l.bytesPerCycle);
    io.mapRequired("latency_cycles", l.latencyCycles);
  }
};
template <> struct MappingTraits<MachineDescription::Cache> {
  static void mapping(IO &io, MachineDescription::Cache &c) {
    io.mapRequired("level", c.level);
    io.mapRequired("size_kib", c.sizeKiB);
    io.mapRequired("bandwidth_gbs", c.bandwidthGBs);
    io.mapOptional("shared", c.shared, false);
  }
};
template <> struct MappingTraits<MachineDescription::Dram> {
  static void mapping(IO &io, MachineDescription::Dram &d) {
    io.mapRequired("bandwidth_gbs", d.bandwidthGBs);
    io.mapRequired("core_bandwidth_gbs", d.coreBandwidthGBs);
    io.mapRequired("latency_ns", d.latencyNs);
    io.mapRequired("stream_efficiency", d.streamEfficiency);
  }
};
template <> struct MappingTraits<MachineDescription::Energy> {
  static void mapping(IO &io, MachineDescription::Energy &e) {
    io.mapRequired("int8_mac", e.int8Mac);
    io.mapRequired("lookup_byte", e.lookupByte);
    io.mapRequired("int_op", e.intOp);
    io.mapRequired("fp32_flop", e.fp32Flop);
    io.mapRequired("cache_byte", e.cacheByte);
    io.mapRequired("dram_byte", e.dramByte);
  }
};
template <> struct MappingTraits<MachineDescription::Ternary> {
  static void mapping(IO &io, MachineDescription::Ternary &t) {
    io.mapRequired("weights_per_cycle", t.weightsPerCycle);
    io.mapRequired("latency_cycles", t.latencyCycles);
    io.mapRequired("energy_pj_per_weight", t.energyPjPerWeight);
  }
};
template <> struct MappingTraits<MachineDescription> {
  static void mapping(IO &io, MachineDescription &m) {
    io.mapRequired("name", m.name);
    io.mapRequired("summary", m.summary);
    io.mapRequired("kind", m.kind);
    io.mapRequired("isa", m.isa);
    io.mapRequired("cores", m.cores);
    io.mapRequired("frequency_ghz", m.frequencyGHz);
    io.mapRequired("vector", m.vector);
    io.mapRequired("int8_dot", m.int8Dot);
    io.mapRequired("lookup", m.lookup);
    io.mapRequired("int_ops_per_cycle", m.intOpsPerCycle);
    io.mapRequired("fp32_flops_per_cycle", m.fp32FlopsPerCycle);
    io.mapRequired("caches", m.caches);
    io.mapRequired("dram", m.dram);
    io.mapRequired("launch_overhead_us", m.launchOverheadUs);
    io.mapRequired("overlap", m.overlap);
    io.mapRequired("energy_pj", m.energyPj);
    io.mapOptional("ternary", m.ternary);
  }
};

} // namespace llvm::yaml

namespace tern {
namespace {

/// Calls `visit(path, double *, int64_t *)` for every numeric figure; one of
/// the two pointers is set.
void forEachFigure(MachineDescription &m,
                   const std::function<void(const std::string &, double *, int64_t *)> &visit) {
  auto real = [&](const std::string &path, double &v) { visit(path, &v, nullptr); };
  auto integer = [&](const std::string &path, int64_t &v) { visit(path, nullptr, &v); };
  integer("cores", m.cores);
  real("frequency_ghz", m.frequencyGHz);
  integer("vector.width_bits", m.vector.widthBits);
  integer("vector.registers", m.vector.registers);
  real("int8_dot.macs_per_cycle", m.int8Dot.macsPerCycle);
  real("int8_dot.latency_cycles", m.int8Dot.latencyCycles);
  integer("lookup.table_entries", m.lookup.tableEntries);
  real("lookup.bytes_per_cycle", m.lookup.bytesPerCycle);
  real("lookup.latency_cycles", m.lookup.latencyCycles);
  real("int_ops_per_cycle", m.intOpsPerCycle);
  real("fp32_flops_per_cycle", m.fp32FlopsPerCycle);
  for (size_t i = 0; i < m.caches.size(); ++i) {
    std::string prefix = "caches." + std::to_string(i) + ".";
    real(prefix + "size_kib", m.caches[i].sizeKiB);
    real(prefix + "bandwidth_gbs", m.caches[i].bandwidthGBs);
  }
  real("dram.bandwidth_gbs", m.dram.bandwidthGBs);
  real("dram.core_bandwidth_gbs", m.dram.coreBandwidthGBs);
  real("dram.latency_ns", m.dram.latencyNs);
  real("dram.stream_efficiency", m.dram.streamEfficiency);
  real("launch_overhead_us", m.launchOverheadUs);
  real("overlap", m.overlap);
  real("energy_pj.int8_mac", m.energyPj.int8Mac);
  real("energy_pj.lookup_byte", m.energyPj.lookupByte);
  real("energy_pj.int_op", m.energyPj.intOp);
  real("energy_pj.fp32_flop", m.energyPj.fp32Flop);
  real("energy_pj.cache_byte", m.energyPj.cacheByte);
  real("energy_pj.dram_byte", m.energyPj.dramByte);
  if (m.ternary) {
    real("ternary.weights_per_cycle", m.ternary->weightsPerCycle);
    real("ternary.latency_cycles", m.ternary->latencyCycles);
    real("ternary.energy_pj_per_weight", m.ternary->energyPjPerWeight);
  }
}

llvm::Error joinedError(llvm::StringRef source, const std::vector<std::string> &problems) {
  std::string message = (source + ": invalid target description").str();
  for (const std::string &p : problems)
    message += "\n  " + p;
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

llvm::Error notAFigure(llvm::StringRef path, const std::string &machine) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                 "'%s' is not a figure of target description '%s'",
                                 path.str().c_str(), machine.c_str());
}

} // namespace

double MachineDescription::dramBandwidthGBs(int64_t threads) const {
  return std::min(dram.bandwidthGBs, static_cast<double>(threads) * dram.coreBandwidthGBs) *
         dram.streamEfficiency;
}

const MachineDescription::Cache *MachineDescription::cacheHolding(double bytes,
                                                                   int64_t threads) const {
  for (const Cache &c : caches)
    if (bytes <= c.sizeKiB * 1024 * (c.shared ? 1 : static_cast<double>(threads)))
      return &c;
  return nullptr;
}

std::vector<std::string> validateMachineDescription(const MachineDescription &machine) {
  MachineDescription m = machine;
  std::vector<std::string> problems;
  if (m.name.empty() || !llvm::all_of(m.name, [](char c) {
        return llvm::isLower(c) || llvm::isDigit(c) || c == '-';
      }))
    problems.push_back("name: '" + m.name + "' must be lower-case letters, digits and '-'");
  if (m.kind != "cpu" && m.kind != "gpu")
    problems.push_back("kind: '" + m.kind + "' must be cpu or gpu");
  if (m.isa != "x86_64" && m.isa != "aarch64" && m.isa != "nvptx")
    problems.push_back("isa: '" + m.isa + "' must be x86_64, aarch64 or nvptx");
  if ((m.isa == "nvptx") != (m.kind == "gpu"))
    problems.push_back("kind: '" + m.kind + "' does not match isa '" + m.isa + "'");
  forEachFigure(m, [&](const std::string &path, double *real, int64_t *integer) {
    if (path == "overlap") {
      if (!(*real >= 0 && *real <= 1))
        problems.push_back(llvm::formatv("overlap: must lie in [0, 1], is {0}", llvm::format("%g", *real)).str());
      return;
    }
    if (real ? !(*real > 0) : *integer <= 0)
      problems.push_back(path + ": must be positive, is " +
                         (real ? llvm::formatv("{0}", llvm::format("%g", *real)).str() : std::to_string(*integer)));
  });
  if (m.caches.empty())
    problems.push_back("caches: at least one level is needed");
  for (size_t i = 0; i < m.caches.size(); ++i) {
    if (m.caches[i].level != static_cast<int64_t>(i) + 1)
      problems.push_back("caches." + std::to_string(i) + ".level: expected " +
                         std::to_string(i + 1) + ", innermost first");
    if (i > 0 && m.caches[i].sizeKiB <= m.caches[i - 1].sizeKiB)
      problems.push_back("caches." + std::to_string(i) + ".size_kib: not larger than level " +
                         std::to_string(i));
  }
  if (m.dram.streamEfficiency > 1)
    problems.push_back("dram.stream_efficiency: a fraction, at most 1");
  if (m.dram.coreBandwidthGBs > m.dram.bandwidthGBs)
    problems.push_back("dram.core_bandwidth_gbs: one core cannot read faster than the chip");
  if (m.lookup.tableEntries > 0 && (m.lookup.tableEntries & (m.lookup.tableEntries - 1)))
    problems.push_back("lookup.table_entries: must be a power of two");
  return problems;
}

llvm::Expected<MachineDescription> parseMachineDescription(llvm::StringRef yaml,
                                                           llvm::StringRef sourceName) {
  std::string diagnostics;
  auto handler = [](const llvm::SMDiagnostic &diag, void *context) {
    auto &out = *static_cast<std::string *>(context);
    out += llvm::formatv("{0}{1}:{2}:{3}: {4}", out.empty() ? "" : "\n", diag.getFilename(),
                         diag.getLineNo(), diag.getColumnNo() + 1, diag.getMessage())
               .str();
  };
  MachineDescription machine;
  llvm::yaml::Input input(llvm::MemoryBufferRef(yaml, sourceName), nullptr, handler, &diagnostics);
  input >> machine;
  if (input.error())
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   diagnostics.empty()
                                       ? (sourceName + ": empty, or not a YAML mapping").str()
                                       : diagnostics);
  std::vector<std::string> problems = validateMachineDescription(machine);
  if (!problems.empty())
    return joinedError(sourceName, problems);
  return machine;
}

llvm::Expected<MachineDescription> loadMachineDescription(llvm::StringRef path) {
  auto buffer = llvm::MemoryBuffer::getFile(path);
  if (!buffer)
    return llvm::createStringError(buffer.getError(), "cannot read target description '%s': %s",
                                   path.str().c_str(), buffer.getError().message().c_str());
  return parseMachineDescription((*buffer)->getBuffer(), path);
}

std::string findMachineDescription(llvm::StringRef nameOrPath) {
  if (nameOrPath.contains('/') || nameOrPath.ends_with(".yaml"))
    return nameOrPath.str();
  llvm::SmallString<256> path(TERN_DESCRIPTIONS_DIR);
  llvm::sys::path::append(path, nameOrPath + ".yaml");
  return path.str().str();
}

llvm::Error MachineDescription::set(llvm::StringRef path, double value) {
  if (path == "vector.lanes") {
    // Wider or narrower vectors: every per-cycle vector rate scales along.
    double ratio = value * 32 / static_cast<double>(vector.widthBits);
    vector.widthBits = static_cast<int64_t>(value * 32);
    int8Dot.macsPerCycle *= ratio;
    lookup.bytesPerCycle *= ratio;
    intOpsPerCycle *= ratio;
    fp32FlopsPerCycle *= ratio;
    if (ternary)
      ternary->weightsPerCycle *= ratio;
  } else {
    bool found = false;
    forEachFigure(*this, [&](const std::string &p, double *real, int64_t *integer) {
      if (p != path)
        return;
      found = true;
      if (real)
        *real = value;
      else
        *integer = static_cast<int64_t>(value);
    });
    if (!found)
      return notAFigure(path, name);
  }
  std::vector<std::string> problems = validateMachineDescription(*this);
  if (!problems.empty())
    return joinedError(name + " with " + path.str() + " = " + llvm::formatv("{0}", llvm::format("%g", value)).str(),
                       problems);
  return llvm::Error::success();
}

llvm::Expected<double> MachineDescription::get(llvm::StringRef path) const {
  if (path == "vector.lanes")
    return static_cast<double>(vector.widthBits) / 32;
  std::optional<double> result;
  forEachFigure(const_cast<MachineDescription &>(*this),
                [&](const std::string &p, double *real, int64_t *integer) {
                  if (p == path)
                    result = real ? *real : static_cast<double>(*integer);
                });
  if (!result)
    return notAFigure(path, name);
  return *result;
}

} // namespace tern
