//===- tern-explore.cpp - what a ternary model costs on a described machine ===//
//
//   tern-explore predict MODEL --machine NAME[,NAME...] [--threads T]
//   tern-explore sweep MODEL --machine NAME --vary PATH=V1,V2,... [--vary ...] -o DIR
//   tern-explore validate --machine NAME --measured DIR [--check]
//
// MODEL is a checkpoint, a NAME.tern artifact or a preset (2b4t, tiny);
// machines are the YAML descriptions of targets/descriptions or files.
//
//===----------------------------------------------------------------------===//
#include "tools/common/Statistics.h"
#include "tools/common/Svg.h"
#include "tools/common/TextFile.h"
#include "tools/tern-explore/ModelWork.h"
#include "tools/tern-explore/Roofline.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/WithColor.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cmath>
#include <map>

namespace cl = llvm::cl;
using namespace tern;
using namespace tern::explore;

namespace {

cl::SubCommand predictCommand("predict", "Predict a model's prefill and decode time, tokens/s, "
                                         "memory traffic, energy per token and the bound of every "
                                         "op on one or more described machines");
cl::SubCommand sweepCommand("sweep", "Vary one or two figures of a machine description and "
                                     "write tables, SVG plots and a Markdown report");
cl::SubCommand validateCommand("validate", "Compare predictions for this machine with a recorded "
                                           "run of tern-bench (scripts/record-host-run.sh)");

cl::OptionCategory category("tern-explore");
cl::opt<std::string> modelOpt(cl::Positional,
                              cl::desc("<checkpoint | NAME.tern | preset (2b4t, tiny)>"),
                              cl::sub(predictCommand), cl::sub(sweepCommand), cl::cat(category));
cl::list<std::string> machineOpt(
    "machine",
    cl::desc("Machine descriptions: names from targets/descriptions (zen5-desktop, apple-m2, "
             "cortex-a76-rpi5, nvidia-h100, ternary-zen5, host-vm) or .yaml files"),
    cl::CommaSeparated, cl::OneOrMore, cl::sub(predictCommand), cl::sub(sweepCommand),
    cl::sub(validateCommand), cl::cat(category));
cl::opt<int64_t> threadsOpt("threads",
                            cl::desc("Cores (CPU) or SMs (GPU) to use; 0: all of the machine's"),
                            cl::init(0), cl::sub(predictCommand), cl::sub(sweepCommand),
                            cl::cat(category));
cl::opt<int64_t> promptOpt("prompt", cl::desc("Prompt tokens, prefilled in one step (default 128)"),
                           cl::init(128), cl::sub(predictCommand), cl::sub(sweepCommand),
                           cl::cat(category));
cl::opt<int64_t> positionOpt("position",
                             cl::desc("Cache position of the decode step (default: the prompt "
                                      "length plus 64)"),
                             cl::init(-1), cl::sub(predictCommand), cl::sub(sweepCommand),
                             cl::cat(category));
cl::opt<std::string> jsonOpt("json", cl::desc("Also write the predictions as JSON"),
                             cl::value_desc("file"), cl::sub(predictCommand), cl::cat(category));
cl::list<std::string> varyOpt("vary",
                              cl::desc("A figure and its values, e.g. lookup.table_entries="
                                       "16,32,64,128,256 or dram.bandwidth_gbs=50,100,200 "
                                       "(once or twice)"),
                              cl::value_desc("path=v1,v2,..."), cl::sub(sweepCommand),
                              cl::cat(category));
cl::opt<std::string> outputOpt("o", cl::desc("Output directory of the sweep's report"),
                               cl::value_desc("dir"), cl::sub(sweepCommand), cl::cat(category));
cl::opt<std::string> measuredOpt("measured",
                                 cl::desc("Directory of a recorded tern-bench run: m1.json and "
                                          "m128.json (tern-bench kernel --json) and, if the model "
                                          "was measured, model.json (tern-bench model --json); "
                                          "scripts/record-host-run.sh and record-gpu-run.sh "
                                          "write them"),
                                 cl::value_desc("dir"), cl::sub(validateCommand), cl::cat(category));
cl::opt<bool> fitOpt("fit",
                     cl::desc("Also print the overlap and dram.stream_efficiency that fit the "
                              "recorded m = 1 kernels best"),
                     cl::sub(validateCommand), cl::cat(category));
cl::opt<bool> checkOpt("check",
                       cl::desc("Fail unless decode tokens/s is within 25% of the measurement "
                                "and kernels rank with a Spearman correlation of at least 0.7"),
                       cl::sub(validateCommand), cl::cat(category));

int fail(const llvm::Twine &message) {
  llvm::WithColor::error(llvm::errs(), "tern-explore") << message << "\n";
  return 1;
}
int fail(llvm::Error e) { return fail(llvm::toString(std::move(e))); }

std::string fmt(double v, int digits = 3) { return llvm::formatv("{0}", llvm::format("%.*g", digits, v)).str(); }

struct Scenario {
  ModelSource model;
  std::vector<OpWork> decode, prefill;
  int64_t prompt = 0, position = 0;
};

llvm::Expected<Scenario> scenario() {
  auto model = openModelSource(modelOpt);
  if (!model)
    return model.takeError();
  Scenario s;
  s.model = *model;
  s.prompt = promptOpt;
  s.position = positionOpt >= 0 ? positionOpt : promptOpt + 64;
  if (s.prompt < 1)
    return llvm::createStringError("--prompt must be at least 1");
  if (threadsOpt < 0)
    return llvm::createStringError("--threads must be 0 (all cores) or more");
  auto decode = modelWork(s.model, 1, s.position);
  if (!decode)
    return decode.takeError();
  auto prefill = modelWork(s.model, s.prompt, 0);
  if (!prefill)
    return prefill.takeError();
  s.decode = std::move(*decode);
  s.prefill = std::move(*prefill);
  return s;
}

int64_t threadsFor(const MachineDescription &m) {
  return threadsOpt > 0 ? std::min<int64_t>(threadsOpt, m.cores) : m.cores;
}

struct Summary {
  StepPrediction decode, prefill;
  double decodeTokensPerS() const { return 1 / decode.seconds; }
  double prefillTokensPerS(int64_t prompt) const { return static_cast<double>(prompt) / prefill.seconds; }
};

Summary summarize(const MachineDescription &m, const Scenario &s) {
  StepPrediction decode = predictStep(m, s.decode, threadsFor(m));
  StepPrediction prefill = predictStep(m, s.prefill, threadsFor(m), &decode);
  return {std::move(decode), std::move(prefill)};
}

/// The step's ops merged by (op, shape, kernel), in order of first use.
std::string opTable(const StepPrediction &step) {
  struct Row {
    std::string op, detail, kernel, bound;
    int64_t calls = 0;
    double seconds = 0, bytes = 0, joules = 0, perCall = 0;
  };
  std::vector<Row> rows;
  for (const auto &[work, p] : step.ops) {
    auto it = llvm::find_if(rows, [&](const Row &r) {
      return r.op == work.op && r.detail == work.detail && r.kernel == p.kernel;
    });
    if (it == rows.end()) {
      rows.push_back({work.op, work.detail, p.kernel, p.bound});
      it = rows.end() - 1;
    }
    it->calls += work.calls;
    it->seconds += p.seconds * static_cast<double>(work.calls);
    it->perCall = p.seconds;
    it->bytes += (p.dramBytes + p.cacheBytes) * static_cast<double>(work.calls);
    it->joules += p.joules * static_cast<double>(work.calls);
  }
  std::string t = "| op | shape | calls | kernel | µs/call | share of time | bound | MB | mJ |\n"
                  "|---|---|---|---|---|---|---|---|---|\n";
  for (const Row &r : rows)
    t += llvm::formatv("| {0} | {1} | {2} | {3} | {4} | {5}% | {6} | {7} | {8} |\n", r.op, r.detail,
                       r.calls, r.kernel.empty() ? "-" : r.kernel, fmt(r.perCall * 1e6),
                       fmt(100 * r.seconds / step.seconds, 2), r.bound, fmt(r.bytes / 1e6),
                       fmt(r.joules * 1e3))
             .str();
  return t;
}

std::string summaryLine(const MachineDescription &m, const Scenario &s, const Summary &sum) {
  return llvm::formatv("| {0} | {1} | {2} | {3} | {4} | {5} | {6} |\n", m.name, threadsFor(m),
                       fmt(sum.prefillTokensPerS(s.prompt)), fmt(sum.decodeTokensPerS()),
                       fmt(sum.decode.dramBytes / 1e9), fmt(sum.decode.joules * 1e3),
                       sum.decode.residency)
      .str();
}

const char *kSummaryHeader =
    "| machine | cores used | prefill tokens/s | decode tokens/s | GB read per token | mJ per "
    "token | weights in |\n|---|---|---|---|---|---|---|\n";

llvm::Expected<std::vector<MachineDescription>> loadMachines() {
  std::vector<MachineDescription> machines;
  for (const std::string &name : machineOpt) {
    auto m = loadMachineDescription(findMachineDescription(name));
    if (!m)
      return m.takeError();
    machines.push_back(std::move(*m));
  }
  return machines;
}

int runPredict() {
  auto s = scenario();
  if (!s)
    return fail(s.takeError());
  auto machines = loadMachines();
  if (!machines)
    return fail(machines.takeError());
  llvm::outs() << "# " << s->model.name << ": prefill of " << s->prompt
               << " tokens, decode at position " << s->position << "\n\n"
               << kSummaryHeader;
  std::vector<Summary> sums;
  for (const MachineDescription &m : *machines) {
    sums.push_back(summarize(m, *s));
    llvm::outs() << summaryLine(m, *s, sums.back());
  }
  for (size_t i = 0; i < machines->size(); ++i) {
    const MachineDescription &m = (*machines)[i];
    llvm::outs() << "\n## " << m.name << " (" << m.summary << "), decode\n\n"
                 << opTable(sums[i].decode) << "\n## " << m.name << ", prefill\n\n"
                 << opTable(sums[i].prefill);
  }
  if (!jsonOpt.empty()) {
    std::error_code ec;
    llvm::raw_fd_ostream os(jsonOpt, ec);
    if (ec)
      return fail("cannot write " + jsonOpt + ": " + ec.message());
    llvm::json::OStream json(os, 2);
    json.array([&] {
      for (size_t i = 0; i < machines->size(); ++i)
        json.object([&] {
          const Summary &sum = sums[i];
          json.attribute("machine", (*machines)[i].name);
          json.attribute("threads", threadsFor((*machines)[i]));
          json.attribute("prefill_tokens_per_s", sum.prefillTokensPerS(s->prompt));
          json.attribute("decode_tokens_per_s", sum.decodeTokensPerS());
          json.attribute("decode_dram_bytes", sum.decode.dramBytes);
          json.attribute("decode_joules", sum.decode.joules);
          json.attributeArray("decode_ops", [&] {
            for (const auto &[w, p] : sum.decode.ops)
              json.object([&] {
                json.attribute("op", w.op);
                json.attribute("shape", w.detail);
                json.attribute("calls", w.calls);
                json.attribute("kernel", p.kernel);
                json.attribute("seconds", p.seconds);
                json.attribute("bound", p.bound);
                json.attribute("joules", p.joules);
              });
          });
        });
    });
  }
  return 0;
}

struct Axis {
  std::string path;
  std::vector<double> values;
};

llvm::Expected<Axis> parseAxis(llvm::StringRef spec) {
  auto [path, list] = spec.split('=');
  if (path.empty() || list.empty())
    return llvm::createStringError("--vary takes path=v1,v2,..., got '" + spec.str() + "'");
  Axis axis{path.str(), {}};
  llvm::SmallVector<llvm::StringRef> items;
  list.split(items, ',');
  for (llvm::StringRef item : items) {
    double v;
    if (item.trim().getAsDouble(v))
      return llvm::createStringError("--vary " + path.str() + ": '" + item.str() + "' is not a number");
    axis.values.push_back(v);
  }
  return axis;
}

int runSweep() {
  if (outputOpt.empty())
    return fail("sweep needs an output directory: -o DIR");
  if (varyOpt.empty() || varyOpt.size() > 2)
    return fail("sweep takes one or two --vary");
  std::vector<Axis> axes;
  for (const std::string &spec : varyOpt) {
    auto axis = parseAxis(spec);
    if (!axis)
      return fail(axis.takeError());
    axes.push_back(std::move(*axis));
  }
  auto s = scenario();
  if (!s)
    return fail(s.takeError());
  auto machines = loadMachines();
  if (!machines)
    return fail(machines.takeError());
  if (axes.size() == 2 && machines->size() != 1)
    return fail("a sweep over two figures takes one machine");
  if (std::error_code ec = llvm::sys::fs::create_directories(outputOpt))
    return fail("cannot create " + outputOpt + ": " + ec.message());

  // One row per machine and point of the sweep.
  std::string csv = "machine," + axes[0].path + (axes.size() == 2 ? "," + axes[1].path : "") +
                    ",decode_tokens_per_s,prefill_tokens_per_s,decode_mj_per_token,"
                    "decode_gb_per_token,bitlinear_kernels,costliest_op,costliest_matmul\n";
  std::string table = "| machine | " + axes[0].path + (axes.size() == 2 ? " | " + axes[1].path : "") +
                      " | decode tokens/s | prefill tokens/s | mJ per token | decode kernels | "
                      "costliest op: bound | costliest matmul: bound |\n|---|---|" +
                      (axes.size() == 2 ? "---|" : "") + "---|---|---|---|---|---|\n";
  std::vector<svg::Series> decodeSeries, prefillSeries, energySeries;
  std::vector<std::vector<double>> cells;
  std::vector<double> secondValues = axes.size() == 2 ? axes[1].values : std::vector<double>{NAN};
  for (const MachineDescription &base : *machines) {
    svg::Series decode{base.name, {}}, prefill{base.name, {}}, energy{base.name, {}};
    for (double second : secondValues) {
      std::vector<double> row;
      for (double first : axes[0].values) {
        MachineDescription m = base;
        if (llvm::Error e = m.set(axes[0].path, first))
          return fail(std::move(e));
        if (axes.size() == 2)
          if (llvm::Error e = m.set(axes[1].path, second))
            return fail(std::move(e));
        Summary sum = summarize(m, *s);
        std::map<std::string, int> kernels;
        const std::pair<OpWork, Prediction> *costliest = nullptr, *costliestMatmul = nullptr;
        auto cost = [](const std::pair<OpWork, Prediction> *op) {
          return op ? op->second.seconds * static_cast<double>(op->first.calls) : -1.0;
        };
        for (const auto &op : sum.decode.ops) {
          if (cost(&op) > cost(costliest))
            costliest = &op;
          if (op.first.op != "bitlinear")
            continue;
          kernels[op.second.kernel] += 1;
          if (cost(&op) > cost(costliestMatmul))
            costliestMatmul = &op;
        }
        std::string kernelList;
        for (const auto &[name, count] : kernels)
          kernelList += (kernelList.empty() ? "" : " ") + name;
        auto describe = [](const std::pair<OpWork, Prediction> *op) {
          return op ? op->first.op + " " + op->first.detail + ": " + op->second.bound : std::string("-");
        };
        std::string bound = describe(costliest) + "," + describe(costliestMatmul);
        std::string point = fmt(first, 6) + (axes.size() == 2 ? "," + fmt(second, 6) : "");
        csv += m.name + "," + point + "," + fmt(sum.decodeTokensPerS(), 6) + "," +
               fmt(sum.prefillTokensPerS(s->prompt), 6) + "," + fmt(sum.decode.joules * 1e3, 6) + "," +
               fmt(sum.decode.dramBytes / 1e9, 6) + "," + kernelList + "," + bound + "\n";
        std::string boundCells = describe(costliest) + " | " + describe(costliestMatmul);
        table += "| " + m.name + " | " + fmt(first, 6) + (axes.size() == 2 ? " | " + fmt(second, 6) : "") +
                 " | " + fmt(sum.decodeTokensPerS()) + " | " + fmt(sum.prefillTokensPerS(s->prompt)) +
                 " | " + fmt(sum.decode.joules * 1e3) + " | " + kernelList + " | " + boundCells + " |\n";
        decode.values.push_back(sum.decodeTokensPerS());
        prefill.values.push_back(sum.prefillTokensPerS(s->prompt));
        energy.values.push_back(sum.decode.joules * 1e3);
        row.push_back(sum.decodeTokensPerS());
      }
      cells.push_back(row);
    }
    decodeSeries.push_back(decode);
    prefillSeries.push_back(prefill);
    energySeries.push_back(energy);
  }

  std::string title = s->model.name + ": decode tokens/s";
  std::string md = "# tern-explore sweep: " + s->model.name + "\n\n" +
                   "Decode at position " + std::to_string(s->position) + ", prefill of " +
                   std::to_string(s->prompt) + " tokens; command: `tern-explore sweep " +
                   modelOpt.getValue() + " --machine " + llvm::join(machineOpt, ",") + " --vary " +
                   llvm::join(varyOpt, " --vary ") + "`.\n\n";
  std::vector<std::pair<std::string, std::string>> figures;
  if (axes.size() == 1) {
    figures.push_back({"decode.svg", svg::lines(title, axes[0].path, axes[0].values,
                                                "tokens/s", decodeSeries)});
    figures.push_back({"prefill.svg", svg::lines(s->model.name + ": prefill tokens/s (" +
                                                     std::to_string(s->prompt) + "-token prompt)",
                                                 axes[0].path, axes[0].values, "tokens/s",
                                                 prefillSeries)});
    figures.push_back({"energy.svg", svg::lines(s->model.name + ": energy per decoded token",
                                                axes[0].path, axes[0].values, "mJ", energySeries)});
  } else {
    std::vector<std::string> xs, ys;
    for (double v : axes[0].values)
      xs.push_back(fmt(v));
    for (double v : axes[1].values)
      ys.push_back(fmt(v));
    figures.push_back({"decode.svg", svg::heatmap(title + " on " + (*machines)[0].name, axes[0].path,
                                                  xs, axes[1].path, ys, cells, "cells: decode tokens/s")});
  }
  for (const auto &[file, text] : figures) {
    if (llvm::Error e = writeTextFile(outputOpt + "/" + file, text))
      return fail(std::move(e));
    md += "![" + file + "](" + file + ")\n\n";
  }
  md += table;
  if (llvm::Error e = writeTextFile(outputOpt + "/sweep.csv", csv))
    return fail(std::move(e));
  if (llvm::Error e = writeTextFile(outputOpt + "/report.md", md))
    return fail(std::move(e));
  llvm::outs() << table << "\nwrote " << outputOpt << "/report.md, sweep.csv and "
               << figures.size() << " figure(s)\n";
  return 0;
}

llvm::Expected<llvm::json::Value> readJson(const std::string &path) {
  auto buffer = llvm::MemoryBuffer::getFile(path);
  if (!buffer)
    return llvm::createStringError("cannot read " + path + ": " + buffer.getError().message());
  auto json = llvm::json::parse((*buffer)->getBuffer());
  if (!json)
    return llvm::createStringError(path + ": " + llvm::toString(json.takeError()));
  return std::move(*json);
}

/// tern-bench's "mfree/base3 lanes=..." as a roofline kernel name.
std::string kernelName(llvm::StringRef describe) {
  llvm::StringRef kind = describe.split(' ').first;
  auto [strategy, packing] = kind.split('/');
  if (strategy == "lut")
    return "lut/g" + packing.drop_front(3).str();
  return kind.str();
}

/// One kernel timed by tern-bench.
struct MeasuredKernel {
  OpWork work;
  std::string kernel; // roofline name
  int64_t threads = 1;
  double us = 0;
};

llvm::Expected<std::vector<MeasuredKernel>> readMeasuredKernels(const MachineDescription &machine) {
  std::vector<MeasuredKernel> records;
  for (const char *file : {"m1.json", "m128.json"}) {
    std::string path = measuredOpt + "/" + file;
    auto json = readJson(path);
    if (!json)
      return json.takeError();
    const llvm::json::Object *root = json->getAsObject();
    const llvm::json::Array *kernels = root ? root->getArray("kernels") : nullptr;
    if (!kernels)
      return llvm::createStringError(path + ": no \"kernels\" array (tern-bench kernel --json)");
    for (const llvm::json::Value &k : *kernels) {
      const llvm::json::Object *o = k.getAsObject();
      if (!o)
        continue;
      MeasuredKernel r;
      // tern-bench's threads are the CPU's; a GPU kernel has all the SMs.
      r.threads = machine.isGpu() ? machine.cores : root->getInteger("threads").value_or(1);
      r.work.op = "bitlinear";
      r.work.n = o->getInteger("n").value_or(0);
      r.work.k = o->getInteger("k").value_or(0);
      r.work.rows = o->getInteger("m").value_or(1);
      r.work.activationBytes = static_cast<double>(r.work.rows) * static_cast<double>(r.work.k + 4 * r.work.n);
      r.kernel = kernelName(o->getString("kernel").value_or(""));
      r.us = o->getNumber("median_us").value_or(0);
      std::vector<MatmulKernel> candidates = matmulKernels(machine, r.work.n, r.work.k, r.work.rows);
      if (r.us <= 0 || r.work.n <= 0 || r.work.k <= 0 ||
          llvm::none_of(candidates, [&](const MatmulKernel &c) { return c.name == r.kernel; }))
        return llvm::createStringError(path + ": cannot model kernel '" + r.kernel + "'");
      records.push_back(r);
    }
  }
  return records;
}

/// Predicted µs of each record on `machine`: weights from DRAM for m = 1
/// (tern-bench's weight stream), else from the cache that holds them.
std::vector<double> predictKernels(const MachineDescription &machine,
                                   const std::vector<MeasuredKernel> &records) {
  std::vector<double> us;
  for (const MeasuredKernel &r : records) {
    std::vector<MatmulKernel> candidates = matmulKernels(machine, r.work.n, r.work.k, r.work.rows);
    const MatmulKernel &kernel =
        *llvm::find_if(candidates, [&](const MatmulKernel &c) { return c.name == r.kernel; });
    double bytes = static_cast<double>(r.work.n * r.work.k) * kernel.bitsPerWeight / 8;
    Residency residency{r.work.rows == 1 ? nullptr : machine.cacheHolding(bytes, r.threads)};
    us.push_back(predictOp(machine, r.work, r.threads, residency, &kernel).seconds * 1e6);
  }
  return us;
}

/// The overlap and stream efficiency whose m = 1 predictions match the
/// records best (least squares of log ratios), on a grid of 0.05 and 0.02.
void fitStreaming(MachineDescription machine, const std::vector<MeasuredKernel> &records) {
  std::vector<MeasuredKernel> decode;
  for (const MeasuredKernel &r : records)
    if (r.work.rows == 1)
      decode.push_back(r);
  double bestError = INFINITY, bestOverlap = 0, bestEfficiency = 1;
  for (int o = 0; o <= 20; ++o)
    for (int e = 25; e <= 50; ++e) {
      machine.overlap = o * 0.05;
      machine.dram.streamEfficiency = e * 0.02;
      std::vector<double> us = predictKernels(machine, decode);
      double error = 0;
      for (size_t i = 0; i < us.size(); ++i)
        error += std::pow(std::log(us[i] / decode[i].us), 2);
      if (error < bestError) {
        bestError = error;
        bestOverlap = machine.overlap;
        bestEfficiency = machine.dram.streamEfficiency;
      }
    }
  llvm::outs() << llvm::formatv("\nFitted to the {0} m = 1 kernels: overlap {1}, "
                                "dram.stream_efficiency {2} (RMS log error {3})\n",
                                decode.size(), fmt(bestOverlap), fmt(bestEfficiency),
                                fmt(std::sqrt(bestError / static_cast<double>(decode.size()))));
}

int runValidate() {
  if (measuredOpt.empty())
    return fail("validate needs --measured DIR (scripts/record-host-run.sh writes one)");
  if (machineOpt.size() != 1)
    return fail("validate takes one machine: the one the measurements were taken on");
  auto machines = loadMachines();
  if (!machines)
    return fail(machines.takeError());
  const MachineDescription &machine = machines->front();
  auto records = readMeasuredKernels(machine);
  if (!records)
    return fail(records.takeError());
  std::vector<double> predicted = predictKernels(machine, *records), measured;
  struct Group {
    std::vector<double> predicted, measured;
    std::vector<std::string> kernels;
  };
  std::map<std::string, Group> groups; // per shape and m
  llvm::outs() << "| shape | m | kernel | threads | predicted µs | measured µs | ratio |\n"
                  "|---|---|---|---|---|---|---|\n";
  for (size_t i = 0; i < records->size(); ++i) {
    const MeasuredKernel &r = (*records)[i];
    measured.push_back(r.us);
    Group &g = groups[llvm::formatv("{0}x{1} m={2}", r.work.n, r.work.k, r.work.rows).str()];
    g.predicted.push_back(predicted[i]);
    g.measured.push_back(r.us);
    g.kernels.push_back(r.kernel);
    llvm::outs() << llvm::formatv("| {0}x{1} | {2} | {3} | {4} | {5} | {6} | {7} |\n", r.work.n,
                                  r.work.k, r.work.rows, r.kernel, r.threads, fmt(predicted[i]),
                                  fmt(r.us), fmt(predicted[i] / r.us));
  }
  double rho = spearman(predicted, measured);
  llvm::outs() << "\nSpearman rank correlation over " << predicted.size()
               << " kernels: " << fmt(rho) << "\n\n| shape | Spearman within | fastest predicted | "
                  "fastest measured |\n|---|---|---|---|\n";
  for (const auto &[shape, g] : groups) {
    auto fastest = [&](const std::vector<double> &v) {
      return g.kernels[std::min_element(v.begin(), v.end()) - v.begin()];
    };
    llvm::outs() << "| " << shape << " | " << fmt(spearman(g.predicted, g.measured)) << " | "
                 << fastest(g.predicted) << " | " << fastest(g.measured) << " |\n";
  }
  if (fitOpt)
    fitStreaming(machine, *records);

  if (!llvm::sys::fs::exists(measuredOpt + "/model.json")) {
    if (checkOpt)
      return fail(measuredOpt + "/model.json is missing: --check compares a whole model too");
    llvm::outs() << "\nNo model.json in " << measuredOpt << ": the model was not measured.\n";
    return 0;
  }
  auto modelJson = readJson(measuredOpt + "/model.json");
  if (!modelJson)
    return fail(modelJson.takeError());
  const llvm::json::Object *model = modelJson->getAsObject();
  if (!model || !model->getNumber("decode_tokens_per_s"))
    return fail(measuredOpt + "/model.json: no decode_tokens_per_s (tern-bench model --json)");
  std::string preset = model->getString("preset").value_or("2b4t").str();
  auto source = openModelSource(preset);
  if (!source)
    return fail(source.takeError());
  int64_t prompt = model->getInteger("prompt").value_or(32);
  int64_t tokens = model->getInteger("tokens").value_or(64);
  int64_t threads = model->getInteger("threads").value_or(1);
  // The decode steps ran at positions [prompt, prompt + tokens): their
  // middle stands for them all.
  auto decode = modelWork(*source, 1, prompt + tokens / 2);
  auto prefill = modelWork(*source, prompt, 0);
  if (!decode || !prefill)
    return fail(decode ? prefill.takeError() : decode.takeError());
  StepPrediction decodeStep = predictStep(machine, *decode, threads);
  double predictedDecode = 1 / decodeStep.seconds;
  double predictedPrefill =
      static_cast<double>(prompt) / predictStep(machine, *prefill, threads, &decodeStep).seconds;
  double measuredDecode = *model->getNumber("decode_tokens_per_s");
  double measuredPrefill = model->getNumber("prefill_tokens_per_s").value_or(NAN);
  double error = predictedDecode / measuredDecode - 1;
  llvm::outs() << llvm::formatv("\nModel {0} on {1} thread(s): decode predicted {2} tokens/s, "
                                "measured {3} ({4}{5}%); prefill of {6} predicted {7} tokens/s, "
                                "measured {8}\n",
                                preset, threads, fmt(predictedDecode), fmt(measuredDecode),
                                error >= 0 ? "+" : "", fmt(100 * error, 2), prompt,
                                fmt(predictedPrefill), fmt(measuredPrefill));
  if (checkOpt) {
    if (!(std::abs(error) <= 0.25))
      return fail(llvm::formatv("decode prediction is {0}% off the measurement (limit 25%)",
                                fmt(100 * error, 2)));
    if (!(rho >= 0.7))
      return fail("kernel ranking has Spearman " + fmt(rho) + " (needs at least 0.7)");
    llvm::outs() << "validation passed\n";
  }
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  cl::HideUnrelatedOptions({&category});
  cl::ParseCommandLineOptions(
      argc, argv,
      "tern-explore: what a ternary model would cost on a machine described as data\n\n"
      "  tern-explore predict 2b4t --machine zen5-desktop,apple-m2 [--threads T]\n"
      "      per-op and whole-model prefill/decode time, tokens/s, bytes, energy, bounds\n"
      "  tern-explore sweep 2b4t --machine cortex-a76-rpi5 --vary lookup.table_entries=16,64,256 -o DIR\n"
      "      vary one or two figures; writes DIR/report.md, sweep.csv and SVG plots\n"
      "  tern-explore validate --machine host-vm --measured tests/explore/host-run --check\n"
      "      predictions for this machine against a recorded tern-bench run\n\n"
      "Machine descriptions: targets/descriptions/*.yaml, schema in docs/target-descriptions.md.\n"
      "Run `tern-explore COMMAND --help` for the options of a command.\n");
  if (predictCommand)
    return runPredict();
  if (sweepCommand)
    return runSweep();
  if (validateCommand)
    return runValidate();
  return fail("no command given; run `tern-explore --help`");
}
