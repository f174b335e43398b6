//===- Manifest.cpp -------------------------------------------------------===//
#include "runtime/src/Manifest.h"

#include "runtime/include/tern/runtime.h"
#include "runtime/src/CpuFeatures.h"
#include "runtime/src/Error.h"
#include "runtime/src/File.h"

namespace tern::rt {

std::string ManifestReader::name(const char *key, const std::string &where) const {
  return "'" + (where.empty() ? std::string(key) : where + "." + key) + "'";
}

bool ManifestReader::error(const std::string &message) const { return fail(file_ + ": " + message); }

const json::Value *ManifestReader::member(const json::Value &parent, const char *key,
                                          const std::string &where) const {
  const json::Value *v = parent.find(key);
  if (!v)
    error("missing " + name(key, where));
  return v;
}

bool ManifestReader::object(const json::Value &parent, const char *key, const json::Value *&out,
                            const std::string &where) const {
  out = member(parent, key, where);
  if (!out)
    return false;
  if (!out->isObject())
    return error(name(key, where) + " must be an object, not " + out->kindName());
  return true;
}

bool ManifestReader::string(const json::Value &parent, const char *key, std::string &out,
                            const std::string &where) const {
  const json::Value *v = member(parent, key, where);
  if (!v)
    return false;
  if (!v->isString())
    return error(name(key, where) + " must be a string, not " + v->kindName());
  out = v->asString();
  return true;
}

bool ManifestReader::intAtLeast(const json::Value &parent, const char *key, int64_t min,
                                int64_t &out, const std::string &where) const {
  const json::Value *v = member(parent, key, where);
  if (!v)
    return false;
  if (!v->isInteger() || v->asInt() < min)
    return error(name(key, where) +
                 (min == 1 ? " must be a positive integer" : " must be an integer >= " + std::to_string(min)));
  out = v->asInt();
  return true;
}

bool ManifestReader::stringList(const json::Value &parent, const char *key,
                                std::vector<std::string> &out, const std::string &where) const {
  const json::Value *v = member(parent, key, where);
  if (!v)
    return false;
  if (!v->isArray())
    return error(name(key, where) + " must be an array of strings");
  out.clear();
  for (const json::Value &item : v->asArray()) {
    if (!item.isString())
      return error(name(key, where) + " must be an array of strings");
    out.push_back(item.asString());
  }
  return true;
}

bool ManifestReader::load(const std::string &dir, const char *format, json::Value &root) {
  std::string path = joinPath(dir, "manifest.json");
  std::string text;
  if (!readFile(path, text))
    return fail(lastError() + " (is " + dir + " a directory written by ternc?)");
  std::string parseError;
  if (!json::parse(text, root, parseError))
    return fail(path + ": not valid JSON: " + parseError);
  ManifestReader reader(path);
  if (!root.isObject())
    return reader.error("the manifest must be a JSON object");
  std::string actualFormat;
  if (!reader.string(root, "format", actualFormat))
    return false;
  if (actualFormat != format)
    return reader.error("this is a '" + actualFormat + "' artifact, expected '" + format + "'");
  const json::Value *version = root.find("format_version");
  if (!version || !version->isInteger())
    return reader.error("missing integer 'format_version'");
  if (version->asInt() != TERN_ARTIFACT_FORMAT_VERSION)
    return reader.error("artifact format version " + std::to_string(version->asInt()) +
                        " is not supported by this runtime (Tern " + tern_version() +
                        " reads version " + std::to_string(TERN_ARTIFACT_FORMAT_VERSION) +
                        "); recompile it with this version's ternc");
  return true;
}

bool checkTargetRunsHere(const ManifestReader &reader, const json::Value &target,
                         std::string &featuresOut) {
  std::string arch;
  std::vector<std::string> features;
  if (!reader.string(target, "arch", arch, "target") ||
      !reader.stringList(target, "features", features, "target"))
    return false;
  if (arch != tern_host_arch())
    return reader.error("compiled for " + arch + ", but this machine is " + tern_host_arch());
  std::string missing, unknown;
  featuresOut.clear();
  for (const std::string &f : features) {
    int has = hostHasFeature(f);
    if (has < 0)
      unknown += (unknown.empty() ? "" : ", ") + f;
    else if (has == 0)
      missing += (missing.empty() ? "" : ", ") + f;
    featuresOut += (featuresOut.empty() ? "" : ",") + f;
  }
  if (!unknown.empty())
    return reader.error("requires CPU features this runtime cannot check: " + unknown +
                        "; refusing to run code that might not execute here");
  if (!missing.empty())
    return reader.error("requires CPU features this machine (" + hostCpuName() + ") lacks: " +
                        missing + "; recompile with --target host on this machine");
  return true;
}

bool checkFileChecksum(const ManifestReader &reader, const std::string &path,
                       const std::string &expectedHex) {
  std::string contents;
  if (!readFile(path, contents))
    return false;
  std::string actual = hex64(tern_checksum64(contents.data(), contents.size()));
  if (actual != expectedHex)
    return reader.error("checksum of " + path + " is " + actual + " but the manifest records " +
                        expectedHex + ": the file is corrupt or does not belong to this artifact");
  return true;
}

} // namespace tern::rt
