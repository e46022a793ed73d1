#include "formatter/writer.h"

#include <algorithm>

namespace tl::format {

namespace {

bool opens(char c) {
  return c == '(' || c == '[';
}

// Trailing whitespace off every line of a comment (the only change the formatter makes to one).
std::string clean_comment(std::string_view text) {
  // Python's `# note` is written `// note`.
  if (text.starts_with('#')) return "//" + clean_comment(text.substr(1));
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i <= text.size()) {
    size_t nl = text.find('\n', i);
    std::string_view line = text.substr(i, nl == std::string_view::npos ? text.npos : nl - i);
    size_t end = line.find_last_not_of(" \t\r\f\v");
    out += line.substr(0, end == std::string_view::npos ? 0 : end + 1);
    if (nl == std::string_view::npos) break;
    out += '\n';
    i = nl + 1;
  }
  return out;
}

}  // namespace

Writer::Writer(const ast::SyntaxTree& tree) : tree_(tree), source_(tree.source()) {
  out_.reserve(source_.size() + source_.size() / 8 + 16);
}

Writer::State Writer::state() const {
  return {out_.size(),     column_,         indent_,         limit_,  pending_,
          pending_indent_, pending_blank_,  suppress_blank_, failed_, line_comment_open_,
          next_comment_,   last_source_end_};
}

void Writer::restore(const State& s) {
  out_.resize(s.size);
  column_ = s.column;
  indent_ = s.indent;
  limit_ = s.limit;
  pending_ = s.pending;
  pending_indent_ = s.pending_indent;
  pending_blank_ = s.pending_blank;
  suppress_blank_ = s.suppress_blank;
  failed_ = s.failed;
  line_comment_open_ = s.line_comment_open;
  next_comment_ = s.next_comment;
  last_source_end_ = s.last_source_end;
}

void Writer::space() {
  if (pending_ == Pending::None) pending_ = Pending::Space;
}

void Writer::newline() {
  if (flat_) {
    failed_ = true;
    return;
  }
  pending_ = Pending::Newline;
  pending_indent_ = indent_;
}

void Writer::request_blank_since(uint32_t begin) {
  if (suppress_blank_ || pending_ != Pending::Newline || begin <= last_source_end_) return;
  if (source_.blank_lines_between(last_source_end_, begin) > 0) pending_blank_ = true;
}

void Writer::statement_start(uint32_t begin) {
  flush_comments_before(begin);
  request_blank_since(begin);
}

void Writer::append(std::string_view s) {
  out_ += s;
  for (char c : s) {
    if (c == '\n')
      column_ = 0;
    else if ((static_cast<unsigned char>(c) & 0xC0) != 0x80)
      ++column_;
  }
}

void Writer::emit(std::string_view s) {
  if (flat_ && failed_) return;
  if (pending_ == Pending::Newline) {
    if (!out_.empty()) {
      out_ += '\n';
      if (pending_blank_ && !suppress_blank_) out_ += '\n';
    }
    out_.append(static_cast<size_t>(pending_indent_), ' ');
    column_ = pending_indent_;
    line_comment_open_ = false;
  } else if (pending_ == Pending::Space) {
    out_ += ' ';
    ++column_;
  }
  pending_ = Pending::None;
  pending_blank_ = false;
  suppress_blank_ = false;
  append(s);
  if (flat_ && column_ > limit_) failed_ = true;
}

void Writer::write_comment(const ast::Comment& c) {
  std::string text = clean_comment(source_.slice(c.range));
  append(text);
  if (flat_ && column_ > limit_) failed_ = true;
}

void Writer::flush_comments_before(uint32_t offset) {
  if (measuring_) return;
  const std::vector<ast::Comment>& cs = tree_.comments();
  while (next_comment_ < cs.size() && cs[next_comment_].range.begin < offset) {
    if (flat_ && failed_) return;
    const ast::Comment& c = cs[next_comment_];
    // A comment after a `//` comment on the same output line would become part of it.
    if (!c.own_line && !out_.empty() && !line_comment_open_) {
      // Trailing: right after the text written so far, before any pending whitespace.
      if (flat_ && !c.block) {
        failed_ = true;
        return;
      }
      char last = out_.back();
      if (last != ' ' && last != '\n' && !(c.block && opens(last))) append(" ");
      write_comment(c);
      suppress_blank_ = false;
      if (!c.block) {
        line_comment_open_ = true;
        if (pending_ != Pending::Newline) {
          pending_ = Pending::Newline;
          pending_indent_ = indent_ + kIndentStep;  // the statement goes on: continuation
        }
      } else if (pending_ == Pending::None) {
        pending_ = Pending::Space;
      }
    } else {
      // On its own line, at the indentation of what follows it.
      if (flat_) {
        failed_ = true;
        return;
      }
      if (pending_ != Pending::Newline) {
        bool mid_line = !out_.empty() && out_.back() != '\n';
        pending_indent_ = mid_line ? indent_ + kIndentStep : indent_;
        pending_ = Pending::Newline;
      }
      request_blank_since(c.range.begin);
      int at = pending_indent_;
      emit("");
      write_comment(c);
      line_comment_open_ = !c.block;
      if (!c.block || c.newline_after) {
        pending_ = Pending::Newline;
        pending_indent_ = at;
      } else {
        pending_ = Pending::Space;
      }
    }
    last_source_end_ = std::max(last_source_end_, c.range.end);
    ++next_comment_;
  }
}

void Writer::token(SourceRange range, std::string_view text) {
  flush_comments_before(range.begin);
  emit(text);
  last_source_end_ = std::max(last_source_end_, range.end);
}

void Writer::span(SourceRange covered, std::string_view s) {
  flush_comments_before(covered.begin);
  emit(s);
  last_source_end_ = std::max(last_source_end_, covered.end);
}

bool Writer::has_comments_in(uint32_t begin, uint32_t end) const {
  const std::vector<ast::Comment>& cs = tree_.comments();
  auto it = std::lower_bound(cs.begin(), cs.end(), begin,
                             [](const ast::Comment& c, uint32_t b) { return c.range.begin < b; });
  return it != cs.end() && it->range.begin < end;
}

std::string Writer::finish() {
  size_t end = out_.find_last_not_of(" \n");
  if (end == std::string::npos) return {};
  out_.resize(end + 1);
  out_ += '\n';
  return std::move(out_);
}

}  // namespace tl::format
