// The formatter's output buffer. It knows lines, indentation and the source's comments, and
// nothing of the AST (printer.cpp walks the tree and drives it).
//
// Whitespace is lazy: space() and newline() only record what comes before the next text, so that
// a comment found in the source between two tokens can still be put right after the first one
// (a trailing comment) or on its own line before the second (a leading comment).
// Comments are emitted by source position: before a source token at offset B is written, every
// comment that starts before B is flushed. Nothing is ever lost: a comment the layout cannot keep
// on one line forces the line break it needs.
//
// Layout choices are made by trial: try_flat() prints a fragment on the current line and rolls
// back when it does not fit, needs a line break or contains a comment that ends its line.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "compiler/syntax/ast.h"
#include "formatter/format.h"

namespace tl::format {

class Writer {
 public:
  explicit Writer(const ast::SyntaxTree& tree);

  // --- indentation and whitespace ---------------------------------------------------------------
  void indent() { indent_ += kIndentStep; }
  void dedent() { indent_ -= kIndentStep; }
  void space();    // one space before the next text (unless a line break is pending)
  void newline();  // a line break before the next text, at the current indentation
  // A region (file or block) starts: blank lines before its first line are dropped.
  void start_region() { suppress_blank_ = true; }
  // A statement starts at `begin`: flushes the comments before it and keeps one blank line where
  // the source had at least one since the previous statement or comment.
  void statement_start(uint32_t begin);

  // --- text
  // --------------------------------------------------------------------------------------- A token
  // that exists in the source at `range` (comments before it are flushed first).
  void token(SourceRange range, std::string_view text);
  void token(SourceRange range) { token(range, source_.slice(range)); }
  // Text with no source token of its own (an added comma, `let` for `:=`, punctuation).
  void text(std::string_view s) { emit(s); }
  // Pre-rendered text standing for the source range `covered` (which holds no comments).
  void span(SourceRange covered, std::string_view s);
  // Writes every comment that starts before `offset` (own-line ones at the pending indentation).
  void flush_comments_before(uint32_t offset);

  // --- trial layout
  // -------------------------------------------------------------------------------
  bool flat() const { return flat_; }
  bool failed() const { return failed_; }
  void fail() { failed_ = true; }
  // Runs `f` in flat mode: everything on the current line, ending at most `reserve` columns before
  // the width limit. Returns true and keeps the output when it worked; otherwise restores the
  // state as it was and returns false. Inside another flat attempt it just runs `f`.
  template <class F>
  bool try_flat(F&& f, int reserve = 0) {
    if (flat_) {
      f();
      return !failed_;
    }
    State saved = state();
    flat_ = true;
    limit_ = kWidth - reserve;
    f();
    flat_ = false;
    if (!failed_) return true;
    restore(saved);
    return false;
  }
  // Renders `f` flat into *out without changing the output; false when it cannot be flat.
  // Comments are not written while measuring (callers measure comment-free fragments).
  template <class F>
  bool measure_flat(F&& f, std::string* out) {
    State saved = state();
    bool was_flat = flat_;
    int saved_limit = limit_;
    flat_ = true;
    measuring_ = true;
    pending_ = Pending::None;
    limit_ = 1 << 30;
    size_t from = out_.size();
    f();
    measuring_ = false;
    bool ok = !failed_;
    if (ok) *out = out_.substr(from);
    flat_ = was_flat;
    limit_ = saved_limit;
    restore(saved);
    return ok;
  }

  std::string_view text_since(size_t size) const { return std::string_view(out_).substr(size); }
  int column() const { return column_; }
  int indentation() const { return indent_; }
  bool has_comments_in(uint32_t begin, uint32_t end) const;
  size_t comments_written() const { return next_comment_; }
  std::string finish();  // the text, ending with exactly one newline (empty for an empty file)

  static constexpr int kIndentStep = kIndentWidth;
  static constexpr int kWidth = kLineWidth;

 private:
  enum class Pending : uint8_t { None, Space, Newline };

 public:
  // Everything needed to undo output (trial layouts).
  struct State {
    size_t size;
    int column, indent, limit;
    Pending pending;
    int pending_indent;
    bool pending_blank, suppress_blank, failed, line_comment_open;
    size_t next_comment;
    uint32_t last_source_end;
  };
  State state() const;
  void restore(const State& s);

 private:
  void emit(std::string_view s);  // applies the pending whitespace, then writes s
  void append(std::string_view s);
  void write_comment(const ast::Comment& c);
  void request_blank_since(uint32_t begin);

  const ast::SyntaxTree& tree_;
  const SourceFile& source_;
  std::string out_;
  int column_ = 0;
  int indent_ = 0;
  int limit_ = kWidth;
  Pending pending_ = Pending::None;
  int pending_indent_ = 0;
  bool pending_blank_ = false;
  bool suppress_blank_ = true;
  bool flat_ = false;
  bool failed_ = false;
  bool measuring_ = false;
  bool line_comment_open_ = false;  // the current output line ends in a `//` comment
  size_t next_comment_ = 0;
  uint32_t last_source_end_ = 0;
};

}  // namespace tl::format
