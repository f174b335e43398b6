//===- Args.cpp -----------------------------------------------------------===//
#include "tools/common/Args.h"

#include <cstdio>

#include <cerrno>
#include <cstdlib>
#include <sstream>

namespace tern::tools {

ArgParser::ArgParser(std::string program, std::string overview)
    : program_(std::move(program)), overview_(std::move(overview)) {}

void ArgParser::flag(const std::string &name, bool *value, const std::string &help) {
  options_.push_back({name, "", "", help, false, [value](const std::string &, std::string &) {
                        *value = true;
                        return true;
                      }});
}

void ArgParser::option(const std::string &name, std::string *value, const std::string &valueName,
                       const std::string &help) {
  options_.push_back({name, "", valueName, help, true, [value](const std::string &v, std::string &) {
                        *value = v;
                        return true;
                      }});
}

void ArgParser::option(const std::string &name, int64_t *value, const std::string &valueName,
                       const std::string &help) {
  options_.push_back({name, "", valueName, help, true,
                      [value, name](const std::string &v, std::string &error) {
                        char *end = nullptr;
                        errno = 0;
                        long long parsed = std::strtoll(v.c_str(), &end, 10);
                        if (v.empty() || *end != '\0' || errno != 0) {
                          error = "--" + name + " expects an integer, got '" + v + "'";
                          return false;
                        }
                        *value = parsed;
                        return true;
                      }});
}

void ArgParser::option(const std::string &name, double *value, const std::string &valueName,
                       const std::string &help) {
  options_.push_back({name, "", valueName, help, true,
                      [value, name](const std::string &v, std::string &error) {
                        char *end = nullptr;
                        double parsed = std::strtod(v.c_str(), &end);
                        if (v.empty() || *end != '\0') {
                          error = "--" + name + " expects a number, got '" + v + "'";
                          return false;
                        }
                        *value = parsed;
                        return true;
                      }});
}

void ArgParser::alias(const std::string &shortName, const std::string &longName) {
  if (Option *o = find(longName))
    o->shortName = shortName;
}

void ArgParser::positional(std::vector<std::string> *values, const std::string &valueName,
                           const std::string &help) {
  positional_ = values;
  positionalName_ = valueName;
  positionalHelp_ = help;
}

ArgParser::Option *ArgParser::find(const std::string &name) {
  for (Option &o : options_)
    if (o.name == name || (!o.shortName.empty() && o.shortName == name))
      return &o;
  return nullptr;
}

bool ArgParser::parse(int argc, char **argv, std::string &error) {
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      helpRequested_ = true;
      return true;
    }
    if (arg.size() < 2 || arg[0] != '-') {
      if (!positional_) {
        error = "unexpected argument '" + arg + "'";
        return false;
      }
      positional_->push_back(arg);
      continue;
    }
    std::string name = arg.substr(arg[1] == '-' ? 2 : 1);
    std::string value;
    bool hasValue = false;
    size_t eq = name.find('=');
    if (eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
      hasValue = true;
    }
    Option *o = find(name);
    if (!o) {
      error = "unknown option '" + arg + "' (see --help)";
      return false;
    }
    if (o->takesValue && !hasValue) {
      if (i + 1 >= argc) {
        error = "--" + o->name + " expects a value";
        return false;
      }
      value = argv[++i];
    } else if (!o->takesValue && hasValue) {
      error = "--" + o->name + " takes no value";
      return false;
    }
    if (!o->set(value, error))
      return false;
  }
  return true;
}

int ArgParser::parseCommandLine(int argc, char **argv) {
  std::string error;
  if (!parse(argc, argv, error)) {
    std::fprintf(stderr, "%s: error: %s\n", program_.substr(0, program_.find(' ')).c_str(),
                 error.c_str());
    return 1;
  }
  if (helpRequested_) {
    std::printf("%s", help().c_str());
    return 0;
  }
  return -1;
}

std::string ArgParser::help() const {
  std::ostringstream os;
  os << overview_ << "\n\nUSAGE: " << program_ << " [options]"
     << (positional_ ? " " + positionalName_ + "..." : "") << "\n\nOPTIONS:\n";
  auto line = [&](const std::string &left, const std::string &text) {
    os << "  " << left;
    for (size_t pad = left.size(); pad < 28; ++pad)
      os << ' ';
    os << " " << text << "\n";
  };
  if (positional_)
    line(positionalName_, positionalHelp_);
  for (const Option &o : options_) {
    std::string left = (o.shortName.empty() ? "" : "-" + o.shortName + ", ") + "--" + o.name +
                       (o.takesValue ? " " + o.valueName : "");
    line(left, o.help);
  }
  line("-h, --help", "show this help");
  return os.str();
}

} // namespace tern::tools
