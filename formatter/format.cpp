#include "formatter/format.h"

#include <fmt/format.h>

#include "compiler/syntax/parser.h"

namespace tl::format {

std::string meaning_dump(const ast::SyntaxTree& tree) {
  ast::DumpOptions options;
  options.ranges = false;
  options.spellings = false;
  std::string out = ast::dump(tree, options);
  out += "(Comments";
  for (const ast::Comment& c : tree.comments()) {
    out += "\n  ";
    std::string_view text = tree.text(c.range);
    // Per line, trailing whitespace dropped; line breaks shown as \n to keep one line per comment.
    size_t i = 0;
    while (true) {
      size_t nl = text.find('\n', i);
      std::string_view line = text.substr(i, nl == text.npos ? text.npos : nl - i);
      size_t end = line.find_last_not_of(" \t\r\f\v");
      out += line.substr(0, end == line.npos ? 0 : end + 1);
      if (nl == text.npos) break;
      out += "\\n";
      i = nl + 1;
    }
  }
  out += ")\n";
  return out;
}

FormatResult format_file(std::shared_ptr<const SourceFile> file, bool verify) {
  FormatResult result;
  auto tree = parse(file);
  if (tree->has_errors()) {
    result.diagnostics = tree->diagnostics();
    return result;
  }
  result.text = format_tree(*tree);
  if (verify) {
    auto again = parse(std::make_shared<const SourceFile>(file->id(), file->path(), result.text));
    if (again->has_errors()) {
      result.internal_error =
          "the formatted text does not parse (a formatter bug; file left as is)";
      result.diagnostics = again->diagnostics();
      return result;
    }
    if (meaning_dump(*again) != meaning_dump(*tree)) {
      result.internal_error =
          "formatting would change the program or its comments (a formatter bug; file left as is)";
      return result;
    }
  }
  result.ok = true;
  return result;
}

}  // namespace tl::format
