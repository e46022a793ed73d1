// lint(): runs the passes, then drops what `// tl-lint: allow(...)` comments suppress.
#include "formatter/lint.h"

#include <fmt/format.h>

#include <algorithm>

#include "formatter/lint_internal.h"

namespace tl::lint {

using namespace ast;

const std::vector<DiagCode>& all_rules() {
  static const std::vector<DiagCode> rules = [] {
    std::vector<DiagCode> v;
    for (DiagCode c : all_diag_codes())
      if (diag_info(c).id.starts_with("W06")) v.push_back(c);
    return v;
  }();
  return rules;
}

std::optional<DiagCode> find_rule(std::string_view id_or_name) {
  for (DiagCode c : all_rules()) {
    const DiagInfo& info = diag_info(c);
    if (info.id == id_or_name || info.name == id_or_name) return c;
  }
  return std::nullopt;
}

namespace {

constexpr std::string_view kMarker = "tl-lint:";

std::string_view trim(std::string_view s) {
  size_t b = s.find_first_not_of(" \t");
  if (b == s.npos) return {};
  size_t e = s.find_last_not_of(" \t");
  return s.substr(b, e - b + 1);
}

struct Suppression {
  std::vector<SourceRange> ranges;  // where it applies
  std::vector<DiagCode> rules;
};

// The range of the outermost statement or declaration that starts on each line (1-based).
std::vector<SourceRange> statements_by_line(const SyntaxTree& tree) {
  std::vector<SourceRange> by_line(tree.source().line_count() + 2);
  traverse(tree.module(), [&](const Node* n) {
    if (isa<Stmt>(n)) {
      uint32_t line = tree.source().position(n->range.begin).line;
      if (line < by_line.size() && !by_line[line].valid()) by_line[line] = n->range;
    }
    return true;
  });
  return by_line;
}

// A comment's text after its opening `//`, `/*` or `#` (Python's, which the lexer accepts).
std::string_view comment_body(std::string_view comment) {
  if (comment.starts_with("//") || comment.starts_with("/*")) return comment.substr(2);
  if (comment.starts_with('#')) return comment.substr(1);
  return comment;
}

std::vector<Suppression> suppressions(const SyntaxTree& tree, DiagnosticSink& out) {
  std::vector<Suppression> result;
  std::vector<SourceRange> by_line;
  const SourceFile& src = tree.source();
  for (const Comment& c : tree.comments()) {
    // The comment must start with the marker (`// tl-lint: ...`), so prose that mentions it is
    // not an instruction.
    std::string_view text = trim(comment_body(tree.text(c.range)));
    if (!text.starts_with(kMarker)) continue;
    std::string_view rest = trim(text.substr(kMarker.size()));
    if (!rest.starts_with("allow(") || rest.find(')') == rest.npos) {
      out.report(DiagCode::W0615, c.range,
                 "malformed 'tl-lint:' comment: expected 'tl-lint: allow(RULE, ...)'");
      continue;
    }
    std::string_view list = rest.substr(6, rest.find(')') - 6);
    Suppression s;
    while (!list.empty()) {
      size_t comma = list.find(',');
      std::string_view item = trim(list.substr(0, comma));
      list = comma == list.npos ? std::string_view{} : list.substr(comma + 1);
      if (item.empty()) continue;
      if (std::optional<DiagCode> rule = find_rule(item))
        s.rules.push_back(*rule);
      else
        out.report(DiagCode::W0615, c.range,
                   fmt::format("unknown lint rule '{}' (rules are listed in docs/lint.md)", item));
    }
    if (s.rules.empty()) continue;
    if (by_line.empty()) by_line = statements_by_line(tree);
    // Its own line; for a comment alone on its line, the next line too. Each with the statement
    // that starts there (the "enclosing item").
    uint32_t line = src.position(c.range.begin).line;
    uint32_t last = src.position(c.range.end).line + (c.own_line ? 1 : 0);
    for (uint32_t l = line; l <= last && l <= src.line_count(); ++l) {
      uint32_t end = l < src.line_count() ? src.line_start(l + 1) : src.size() + 1;
      s.ranges.push_back({src.id(), src.line_start(l), end});
      if (l < by_line.size() && by_line[l].valid()) s.ranges.push_back(by_line[l]);
    }
    result.push_back(std::move(s));
  }
  return result;
}

bool suppressed(const Diagnostic& d, const std::vector<Suppression>& all) {
  for (const Suppression& s : all) {
    if (std::find(s.rules.begin(), s.rules.end(), d.code) == s.rules.end()) continue;
    for (const SourceRange& r : s.ranges)
      if (r.begin <= d.range.begin && d.range.begin < std::max(r.end, r.begin + 1)) return true;
  }
  return false;
}

}  // namespace

std::vector<Diagnostic> lint(const SyntaxTree& tree, const sema::Analysis* analysis,
                             const SourceManager* sources) {
  if (tree.has_errors()) return {};
  DiagnosticSink sink;
  lint_syntax(tree, analysis, sink);
  if (analysis) lint_scopes(tree, *analysis, sources, sink);
  DiagnosticSink meta;  // findings about the allow comments themselves are never suppressed
  std::vector<Suppression> allow = suppressions(tree, meta);
  std::vector<Diagnostic> out;
  for (Diagnostic& d : sink.take())
    if (!suppressed(d, allow)) out.push_back(std::move(d));
  for (Diagnostic& d : meta.take()) out.push_back(std::move(d));
  std::stable_sort(out.begin(), out.end(), [](const Diagnostic& a, const Diagnostic& b) {
    return a.range.begin < b.range.begin;
  });
  return out;
}

}  // namespace tl::lint
