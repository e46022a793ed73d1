#include "lsp/lexical_analysis.h"

#include <fmt/format.h>

#include "compiler/syntax/token.h"
#include "vm/bytecode/builtins.h"

namespace tl::lsp {
namespace {

bool is_ident_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

const BuiltinInfo* find_builtin(std::string_view name) {
  for (const auto& b : kBuiltinTable)
    if (b.name == name) return &b;
  return nullptr;
}

// The keywords come from the lexer's token table (compiler/syntax/token.h), the one source.
constexpr std::string_view kKeywords[] = {
#define TL_SKIP_TOKEN(name, spelling)
#define TL_KEYWORD_SPELLING(name, spelling) spelling,
    TL_TOKENS(TL_SKIP_TOKEN, TL_KEYWORD_SPELLING)
#undef TL_SKIP_TOKEN
#undef TL_KEYWORD_SPELLING
};
// Type names are identifiers to the parser; the checker judges them (LANGUAGE.md "Types").
constexpr std::string_view kTypeNames[] = {"float16", "float32", "float64", "bfloat16", "int",
                                           "float",   "bool",    "string",  "Shape",    "Model"};

}  // namespace

std::string builtin_markdown(std::string_view name) {
  const BuiltinInfo* b = find_builtin(name);
  if (!b) return {};
  return fmt::format("```tensorlogic\n{}{}\n```\n{}", b->name, b->signature, b->doc);
}

std::vector<CompletionItem> keyword_completions() {
  std::vector<CompletionItem> items;
  for (auto k : kKeywords)
    items.push_back({std::string(k), CompletionKind::kKeyword, "keyword", {}});
  for (auto t : kTypeNames)
    items.push_back({std::string(t), CompletionKind::kTypeParameter, "type", {}});
  return items;
}

std::vector<CompletionItem> builtin_completions() {
  std::vector<CompletionItem> items;
  for (const auto& b : kBuiltinTable)
    items.push_back({std::string(b.name), CompletionKind::kFunction,
                     fmt::format("{}{}", b.name, b.signature), std::string(b.doc)});
  return items;
}

TextRange LexicalAnalysis::word_at(size_t offset) const {
  std::string_view t = text();
  offset = std::min(offset, t.size());
  size_t b = offset, e = offset;
  while (b > 0 && is_ident_char(t[b - 1])) --b;
  while (e < t.size() && is_ident_char(t[e])) ++e;
  if (b < e && t[b] >= '0' && t[b] <= '9') return {offset, offset};  // a number, not a name
  return {b, e};
}

std::optional<HoverInfo> LexicalAnalysis::hover(size_t offset) const {
  TextRange w = word_at(offset);
  if (w.begin == w.end) return std::nullopt;
  std::string md = builtin_markdown(text().substr(w.begin, w.end - w.begin));
  if (md.empty()) return std::nullopt;
  return HoverInfo{w, std::move(md)};
}

std::vector<CompletionItem> LexicalAnalysis::completion(size_t) const {
  std::vector<CompletionItem> items = keyword_completions();
  for (auto& b : builtin_completions()) items.push_back(std::move(b));
  return items;
}

// Walks back from the cursor to the innermost unclosed '(' on a builtin name, counting the
// commas at that depth. Lexical: brackets inside strings or comments can mislead it, which only
// costs a wrong highlight; the checker's analysis replaces it with the parse tree.
std::optional<SignatureInfo> LexicalAnalysis::signature_help(size_t offset) const {
  std::string_view t = text();
  offset = std::min(offset, t.size());
  int depth = 0;
  int commas = 0;
  size_t scanned = 0;
  for (size_t i = offset; i > 0 && scanned < 4096; --i, ++scanned) {
    char c = t[i - 1];
    if (c == ')' || c == ']' || c == '}') {
      ++depth;
    } else if (c == '[' || c == '{') {
      if (depth == 0) return std::nullopt;
      --depth;
    } else if (c == ',' && depth == 0) {
      ++commas;
    } else if (c == '(') {
      if (depth > 0) {
        --depth;
        continue;
      }
      size_t e = i - 1;
      while (e > 0 && (t[e - 1] == ' ' || t[e - 1] == '\t')) --e;
      size_t b = e;
      while (b > 0 && is_ident_char(t[b - 1])) --b;
      const BuiltinInfo* bi = find_builtin(t.substr(b, e - b));
      if (!bi) return std::nullopt;
      SignatureInfo s;
      s.label = fmt::format("{}{}", bi->name, bi->signature);
      s.documentation = std::string(bi->doc);
      // Parameters: the comma-separated pieces between the outer parentheses of the signature.
      size_t open = s.label.find('(');
      size_t close = s.label.find(") ->");
      if (open != std::string::npos && close != std::string::npos && close > open + 1) {
        size_t p = open + 1;
        int d = 0;
        for (size_t k = p; k <= close; ++k) {
          char ch = s.label[k];
          if (ch == '(' || ch == '[') ++d;
          if ((ch == ')' || ch == ']') && k != close) --d;
          if ((ch == ',' && d == 0) || k == close) {
            size_t pb = p;
            while (pb < k && s.label[pb] == ' ') ++pb;
            s.parameters.push_back({pb, k});
            p = k + 1;
          }
        }
      }
      int n = static_cast<int>(s.parameters.size());
      s.active_parameter = n == 0 ? 0 : std::min(commas, n - 1);
      return s;
    } else if (c == '\n' && depth == 0 && commas == 0 && scanned > 512) {
      return std::nullopt;
    }
  }
  return std::nullopt;
}

}  // namespace tl::lsp
