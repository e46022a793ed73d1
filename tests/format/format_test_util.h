// Helpers shared by the formatter tests.
#pragma once

#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include "compiler/syntax/parser.h"
#include "formatter/format.h"

namespace tl::format::testing {

inline std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

inline void write_file(const std::filesystem::path& p, std::string_view text) {
  std::ofstream out(p, std::ios::binary);
  out << text;
}

inline std::unique_ptr<ast::SyntaxTree> parse_text(std::string text, std::string path = "t.tl") {
  return parse(std::make_shared<const SourceFile>(0, std::move(path), std::move(text)));
}

// Checks the two properties on one program that parses: formatting keeps the meaning (the
// meaning_dump of input and output are equal) and is idempotent. Returns "" or what failed.
inline std::string check_properties(const std::string& text, const std::string& name) {
  auto tree = parse_text(text, name);
  if (tree->has_errors()) return "input has syntax errors";
  std::string once = format_tree(*tree);
  auto again = parse_text(once, name);
  if (again->has_errors()) return "formatted output does not parse:\n" + once;
  if (meaning_dump(*again) != meaning_dump(*tree))
    return "meaning changed:\n--- before\n" + meaning_dump(*tree) + "--- after\n" +
           meaning_dump(*again) + "--- output\n" + once;
  std::string twice = format_tree(*again);
  if (twice != once) return "not idempotent:\n" + unified_diff(once, twice, name);
  if (once.find(" \n") != std::string::npos) return "trailing spaces in:\n" + once;
  if (!once.empty() && once.back() != '\n') return "no final newline";
  return {};
}

}  // namespace tl::format::testing
