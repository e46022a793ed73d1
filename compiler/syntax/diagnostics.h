// The diagnostics engine shared by every compiler layer (lexer, parser, checker, linter) and by the
// LSP. A Diagnostic is plain data: severity, a stable code from diagnostics.def, a primary range,
// a message, notes and fix-its. Layers report into a DiagnosticSink; renderers turn the collected
// diagnostics into terminal text or JSON.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "compiler/syntax/source.h"

namespace tl {

enum class Severity : uint8_t { Error, Warning, Note };
std::string_view severity_name(Severity s);  // "error", "warning", "note"

enum class DiagCode : uint16_t {
#define TL_DIAG(id, name, description) id,
#include "compiler/syntax/diagnostics.def"
#undef TL_DIAG
};

struct DiagInfo {
  std::string_view id;           // "E0201"
  std::string_view name;         // "expected_expression"
  std::string_view description;  // one line, for docs and `tl explain`-style listings
  Severity default_severity;
};
const DiagInfo& diag_info(DiagCode code);
// Every code in table order (for docs and tests).
const std::vector<DiagCode>& all_diag_codes();

struct DiagNote {
  SourceRange range;  // may be invalid: a note without a location
  std::string message;
};

struct FixIt {
  SourceRange range;  // the text to replace (empty range: insertion)
  std::string replacement;
};

struct Diagnostic {
  Severity severity = Severity::Error;
  DiagCode code{};
  SourceRange range;
  std::string message;
  std::vector<DiagNote> notes;
  std::vector<FixIt> fixits;

  // Builder helpers: sink.report(...).note(r, "size bound here").fix(r, "fn")
  Diagnostic& note(SourceRange r, std::string msg) {
    notes.push_back({r, std::move(msg)});
    return *this;
  }
  Diagnostic& fix(SourceRange r, std::string replacement) {
    fixits.push_back({r, std::move(replacement)});
    return *this;
  }
};

// What `tl check`, `tl run` and `tl compile` print per file: at most this many errors, then one
// note (E0215) saying how many were left out (docs/cli.md).
inline constexpr uint32_t kErrorsShownPerFile = 100;
// `diags` with the errors past the first `limit` dropped (warnings and notes kept) and, when any
// were, a closing note at `where` that says how many.
std::vector<Diagnostic> limit_errors(std::vector<Diagnostic> diags, uint32_t limit,
                                     SourceRange where);

// Collects diagnostics in report order. `error_limit` (0 = none) caps the number of errors kept:
// past it, further errors are counted but dropped (random bytes must not print megabytes).
class DiagnosticSink {
 public:
  explicit DiagnosticSink(uint32_t error_limit = 0) : error_limit_(error_limit) {}

  // Reports with the code's default severity. The returned reference is valid until the next
  // report; use it to attach notes and fix-its.
  Diagnostic& report(DiagCode code, SourceRange range, std::string message);
  Diagnostic& report(Severity severity, DiagCode code, SourceRange range, std::string message);

  const std::vector<Diagnostic>& diagnostics() const { return diags_; }
  std::vector<Diagnostic> take() { return std::move(diags_); }
  uint32_t error_count() const { return errors_; }  // includes dropped errors
  uint32_t dropped_count() const { return dropped_; }
  bool has_errors() const { return errors_ > 0; }
  void append(const std::vector<Diagnostic>& other);

 private:
  std::vector<Diagnostic> diags_;
  Diagnostic scratch_;  // receives dropped reports so callers can still chain .note()
  uint32_t error_limit_;
  uint32_t errors_ = 0;
  uint32_t dropped_ = 0;
};

// Terminal rendering:
//   FILE:LINE:COL: error[E0201]: message
//     3 | let x = (1 +
//       |              ^
//   FILE:LINE:COL: note: message
// `color` adds ANSI colours (callers pass isatty(2)).
std::string render_text(const Diagnostic& d, const SourceManager& sm, bool color);
// JSON: {"file","line","column","endLine","endColumn","severity","code","message",
//        "notes":[{"file","line","column","endLine","endColumn","message"}],
//        "fixits":[{"file","line","column","endLine","endColumn","replacement"}]}
// Lines and columns 1-based, columns in UTF-8 bytes (as in the text form).
nlohmann::json render_json(const Diagnostic& d, const SourceManager& sm);
nlohmann::json render_json(const std::vector<Diagnostic>& ds, const SourceManager& sm);

}  // namespace tl
