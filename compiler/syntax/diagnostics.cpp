#include "compiler/syntax/diagnostics.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

namespace tl {

namespace {

constexpr Severity severity_of_id(std::string_view id) {
  return id[0] == 'W' ? Severity::Warning : id[0] == 'N' ? Severity::Note : Severity::Error;
}

const DiagInfo kDiagInfos[] = {
#define TL_DIAG(id, name, description) {#id, #name, description, severity_of_id(#id)},
#include "compiler/syntax/diagnostics.def"
#undef TL_DIAG
};

// Display width of one code point in a terminal: East Asian wide characters take two cells.
int display_width(uint32_t cp) {
  if ((cp >= 0x1100 && cp <= 0x115F) || (cp >= 0x2E80 && cp <= 0xA4CF) ||
      (cp >= 0xAC00 && cp <= 0xD7A3) || (cp >= 0xF900 && cp <= 0xFAFF) ||
      (cp >= 0xFE30 && cp <= 0xFE4F) || (cp >= 0xFF00 && cp <= 0xFF60) ||
      (cp >= 0xFFE0 && cp <= 0xFFE6) || (cp >= 0x1F300 && cp <= 0x1FAFF) ||
      (cp >= 0x20000 && cp <= 0x3FFFD))
    return 2;
  return 1;
}

// Decodes one UTF-8 sequence at s[i]; advances i. Invalid bytes decode as themselves (width 1).
uint32_t decode(std::string_view s, size_t& i) {
  unsigned char b = static_cast<unsigned char>(s[i]);
  size_t n = b < 0x80             ? 1
             : (b & 0xE0) == 0xC0 ? 2
             : (b & 0xF0) == 0xE0 ? 3
             : (b & 0xF8) == 0xF0 ? 4
                                  : 1;
  if (i + n > s.size()) n = 1;
  uint32_t cp = n == 1 ? b : n == 2 ? (b & 0x1F) : n == 3 ? (b & 0x0F) : (b & 0x07);
  for (size_t k = 1; k < n; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
  i += n;
  return cp;
}

// Spaces that line up with `prefix` on a terminal (tabs kept as tabs).
std::string pad_for(std::string_view prefix) {
  std::string out;
  for (size_t i = 0; i < prefix.size();) {
    if (prefix[i] == '\t') {
      out += '\t';
      ++i;
      continue;
    }
    out.append(static_cast<size_t>(display_width(decode(prefix, i))), ' ');
  }
  return out;
}

size_t width_of(std::string_view s) {
  size_t w = 0;
  for (size_t i = 0; i < s.size();) w += static_cast<size_t>(display_width(decode(s, i)));
  return w;
}

// Replaces bytes that would corrupt a terminal (control characters, invalid UTF-8 stays as is but
// controls become spaces).
std::string printable(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    unsigned char u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\t') || u == 0x7f) c = ' ';
  }
  return out;
}

const char* colour_of(Severity s) {
  return s == Severity::Error ? "\033[1;31m" : s == Severity::Warning ? "\033[1;35m" : "\033[1;36m";
}

void render_location(std::string& out, const SourceManager& sm, SourceRange r, Severity sev,
                     std::string_view code, std::string_view message, bool color) {
  const SourceFile* f = sm.file(r.file);
  const char* bold = color ? "\033[1m" : "";
  const char* reset = color ? "\033[0m" : "";
  if (f) {
    LineColumn p = f->position(r.begin);
    out += fmt::format("{}{}:{}:{}: {}", bold, f->path(), p.line, p.column, reset);
  }
  out += fmt::format("{}{}", color ? colour_of(sev) : "", severity_name(sev));
  if (!code.empty()) out += fmt::format("[{}]", code);
  out += fmt::format(":{} {}{}{}\n", reset, bold, message, reset);
  if (!f) return;
  LineColumn b = f->position(r.begin);
  std::string_view line = f->line_text(b.line);
  size_t col = std::min<size_t>(b.column - 1, line.size());
  LineColumn e = f->position(r.end);
  size_t end_col = e.line == b.line ? std::min<size_t>(e.column - 1, line.size()) : line.size();
  // Very long lines (generated code, minified data) show a window around the range.
  constexpr size_t kWindow = 120;
  std::string_view shown_prefix_marker;
  if (line.size() > kWindow) {
    size_t start = col > kWindow / 2 ? col - kWindow / 2 : 0;
    while (start > 0 && (static_cast<unsigned char>(line[start]) & 0xC0) == 0x80) --start;
    size_t stop = std::min(line.size(), start + kWindow);
    while (stop < line.size() && (static_cast<unsigned char>(line[stop]) & 0xC0) == 0x80) ++stop;
    line = line.substr(start, stop - start);
    col -= start;
    end_col = std::min(end_col - start, line.size());
    if (start > 0) shown_prefix_marker = "...";
  }
  std::string gutter = fmt::format("{}", b.line);
  std::string blank(gutter.size(), ' ');
  out += fmt::format(" {} | {}{}\n", gutter, shown_prefix_marker, printable(line));
  // Underline to the end of the range, or of the line when the range spans lines.
  size_t width = end_col > col ? width_of(line.substr(col, end_col - col)) : 1;
  out +=
      fmt::format(" {} | {}{}^{}{}\n", blank, pad_for(line.substr(0, col)),
                  color ? colour_of(sev) : "", std::string(width > 0 ? width - 1 : 0, '~'), reset);
}

nlohmann::json span_json(const SourceManager& sm, SourceRange r) {
  nlohmann::json j = nlohmann::json::object();
  const SourceFile* f = sm.file(r.file);
  if (!f) return j;
  LineColumn b = f->position(r.begin), e = f->position(r.end);
  j["file"] = f->path();
  j["line"] = b.line;
  j["column"] = b.column;
  j["endLine"] = e.line;
  j["endColumn"] = e.column;
  return j;
}

}  // namespace

std::string_view severity_name(Severity s) {
  switch (s) {
    case Severity::Error:
      return "error";
    case Severity::Warning:
      return "warning";
    case Severity::Note:
      return "note";
  }
  return "error";
}

const DiagInfo& diag_info(DiagCode code) {
  return kDiagInfos[static_cast<size_t>(code)];
}

const std::vector<DiagCode>& all_diag_codes() {
  static const std::vector<DiagCode> codes = [] {
    std::vector<DiagCode> v;
    for (size_t i = 0; i < std::size(kDiagInfos); ++i) v.push_back(static_cast<DiagCode>(i));
    return v;
  }();
  return codes;
}

std::vector<Diagnostic> limit_errors(std::vector<Diagnostic> diags, uint32_t limit,
                                     SourceRange where) {
  std::vector<Diagnostic> kept;
  uint32_t errors = 0, dropped = 0;
  bool earlier_limit = false;  // the parser stopped counting at its own limit
  for (Diagnostic& d : diags) {
    if (d.severity == Severity::Error && ++errors > limit) {
      ++dropped;
      continue;
    }
    if (d.code == DiagCode::E0215) earlier_limit = true;
    kept.push_back(std::move(d));
  }
  if (dropped == 0) return kept;
  std::erase_if(kept, [](const Diagnostic& d) { return d.code == DiagCode::E0215; });
  kept.push_back(Diagnostic{Severity::Note,
                            DiagCode::E0215,
                            where,
                            fmt::format("{}{} more errors not shown (limit {})", dropped,
                                        earlier_limit ? " or" : "", limit),
                            {},
                            {}});
  return kept;
}

Diagnostic& DiagnosticSink::report(DiagCode code, SourceRange range, std::string message) {
  return report(diag_info(code).default_severity, code, range, std::move(message));
}

Diagnostic& DiagnosticSink::report(Severity severity, DiagCode code, SourceRange range,
                                   std::string message) {
  if (severity == Severity::Error) {
    ++errors_;
    if (error_limit_ != 0 && errors_ > error_limit_) {
      ++dropped_;
      scratch_ = Diagnostic{};
      return scratch_;
    }
  }
  diags_.push_back(Diagnostic{severity, code, range, std::move(message), {}, {}});
  return diags_.back();
}

void DiagnosticSink::append(const std::vector<Diagnostic>& other) {
  for (const Diagnostic& d : other) {
    Diagnostic& n = report(d.severity, d.code, d.range, d.message);
    n.notes = d.notes;
    n.fixits = d.fixits;
  }
}

std::string render_text(const Diagnostic& d, const SourceManager& sm, bool color) {
  std::string out;
  render_location(out, sm, d.range, d.severity, diag_info(d.code).id, d.message, color);
  for (const DiagNote& n : d.notes) {
    render_location(out, sm, n.range, Severity::Note, {}, n.message, color);
  }
  for (const FixIt& f : d.fixits) {
    if (f.range.size() == 0)
      out += fmt::format("  fix: insert '{}'\n", f.replacement);
    else if (f.replacement.empty())
      out += fmt::format("  fix: remove '{}'\n",
                         sm.file(f.range.file) ? sm.file(f.range.file)->slice(f.range) : "");
    else
      out += fmt::format("  fix: replace with '{}'\n", f.replacement);
  }
  return out;
}

nlohmann::json render_json(const Diagnostic& d, const SourceManager& sm) {
  nlohmann::json j = span_json(sm, d.range);
  j["severity"] = std::string(severity_name(d.severity));
  j["code"] = std::string(diag_info(d.code).id);
  j["message"] = d.message;
  j["notes"] = nlohmann::json::array();
  for (const DiagNote& n : d.notes) {
    nlohmann::json nj = span_json(sm, n.range);
    nj["message"] = n.message;
    j["notes"].push_back(std::move(nj));
  }
  j["fixits"] = nlohmann::json::array();
  for (const FixIt& f : d.fixits) {
    nlohmann::json fj = span_json(sm, f.range);
    fj["replacement"] = f.replacement;
    j["fixits"].push_back(std::move(fj));
  }
  return j;
}

nlohmann::json render_json(const std::vector<Diagnostic>& ds, const SourceManager& sm) {
  nlohmann::json arr = nlohmann::json::array();
  for (const Diagnostic& d : ds) arr.push_back(render_json(d, sm));
  return arr;
}

}  // namespace tl
