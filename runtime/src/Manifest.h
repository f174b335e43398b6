//===- Manifest.h - reading and checking manifest.json ----------*- C++ -*-===//
#ifndef TERN_RUNTIME_MANIFEST_H
#define TERN_RUNTIME_MANIFEST_H

#include "runtime/src/Json.h"

#include <string>
#include <vector>

namespace tern::rt {

/// Typed access to the members of a manifest object; every failure records a
/// message naming the file and the member ("DIR/manifest.json: 'matmul.n' must
/// be a positive integer").
class ManifestReader {
public:
  ManifestReader(std::string file) : file_(std::move(file)) {}

  bool object(const json::Value &parent, const char *key, const json::Value *&out,
              const std::string &where = "") const;
  bool string(const json::Value &parent, const char *key, std::string &out,
              const std::string &where = "") const;
  bool positiveInt(const json::Value &parent, const char *key, int64_t &out,
                   const std::string &where = "") const {
    return intAtLeast(parent, key, 1, out, where);
  }
  bool nonNegativeInt(const json::Value &parent, const char *key, int64_t &out,
                      const std::string &where = "") const {
    return intAtLeast(parent, key, 0, out, where);
  }
  bool stringList(const json::Value &parent, const char *key, std::vector<std::string> &out,
                  const std::string &where = "") const;
  bool error(const std::string &message) const;

  /// Reads DIR/manifest.json and checks the fields every artifact shares:
  /// "format" (must equal `format`) and "format_version".
  static bool load(const std::string &dir, const char *format, json::Value &root);

private:
  bool intAtLeast(const json::Value &parent, const char *key, int64_t min, int64_t &out,
                  const std::string &where) const;
  const json::Value *member(const json::Value &parent, const char *key, const std::string &where) const;
  std::string name(const char *key, const std::string &where) const;
  std::string file_;
};

/// Checks the "target" object of a manifest against this machine: the
/// architecture, and every CPU feature it requires. On success returns the
/// required features, comma-separated.
bool checkTargetRunsHere(const ManifestReader &reader, const json::Value &target,
                         std::string &featuresOut);

/// Checks that DIR/NAME has the checksum the manifest records.
bool checkFileChecksum(const ManifestReader &reader, const std::string &path,
                       const std::string &expectedHex);

} // namespace tern::rt

#endif // TERN_RUNTIME_MANIFEST_H
