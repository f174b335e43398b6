//===- Args.h - flag parsing for the runtime-side tools ---------*- C++ -*-===//
//
// tern-bench and tern-run link only the runtime, not LLVM, so they cannot use
// llvm::cl; this is the small parser they share: --name=value or --name value,
// short aliases, typed values with range errors, and generated --help.
//
//===----------------------------------------------------------------------===//
#ifndef TERN_TOOLS_COMMON_ARGS_H
#define TERN_TOOLS_COMMON_ARGS_H

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace tern::tools {

class ArgParser {
public:
  ArgParser(std::string program, std::string overview);

  void flag(const std::string &name, bool *value, const std::string &help);
  void option(const std::string &name, std::string *value, const std::string &valueName,
              const std::string &help);
  void option(const std::string &name, int64_t *value, const std::string &valueName,
              const std::string &help);
  void option(const std::string &name, double *value, const std::string &valueName,
              const std::string &help);
  /// A one-letter alias such as "-m" for "--model".
  void alias(const std::string &shortName, const std::string &longName);
  void positional(std::vector<std::string> *values, const std::string &valueName,
                  const std::string &help);

  /// Parses argv; on --help prints help() and sets helpRequested. Returns
  /// false with `error` set on a bad flag or value.
  bool parse(int argc, char **argv, std::string &error);
  bool helpRequested() const { return helpRequested_; }
  std::string help() const;
  /// parse() as a tool's command line: prints help() on --help and
  /// "TOOL: error: ..." on a bad flag. Returns -1 to go on, else the exit
  /// code (0 after --help, 1 after an error).
  int parseCommandLine(int argc, char **argv);

private:
  struct Option {
    std::string name, shortName, valueName, help;
    bool takesValue;
    std::function<bool(const std::string &, std::string &)> set;
  };
  Option *find(const std::string &name);

  std::string program_, overview_;
  std::vector<Option> options_;
  std::vector<std::string> *positional_ = nullptr;
  std::string positionalName_, positionalHelp_;
  bool helpRequested_ = false;
};

} // namespace tern::tools

#endif // TERN_TOOLS_COMMON_ARGS_H
