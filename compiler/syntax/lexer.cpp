#include "compiler/syntax/lexer.h"

#include <fmt/format.h>

#include <array>

namespace tl {

namespace {

constexpr std::string_view kSpellings[] = {
#define TL_TOKEN_SPELLING(name, spelling) spelling,
    TL_TOKENS(TL_TOKEN_SPELLING, TL_TOKEN_SPELLING)
#undef TL_TOKEN_SPELLING
};

struct Keyword {
  std::string_view text;
  TokenKind kind;
};
constexpr Keyword kKeywords[] = {
#define TL_NOT_KEYWORD(name, spelling)
#define TL_KEYWORD_ENTRY(name, spelling) {spelling, TokenKind::name},
    TL_TOKENS(TL_NOT_KEYWORD, TL_KEYWORD_ENTRY)
#undef TL_NOT_KEYWORD
#undef TL_KEYWORD_ENTRY
};

// Length of the well-formed UTF-8 sequence at the start of `s` (0 if it is not one).
uint32_t valid_utf8_length(std::string_view s) {
  unsigned char b = static_cast<unsigned char>(s[0]);
  uint32_t n = b < 0x80             ? 1
               : (b & 0xE0) == 0xC0 ? 2
               : (b & 0xF0) == 0xE0 ? 3
               : (b & 0xF8) == 0xF0 ? 4
                                    : 0;
  if (n == 0 || n > s.size()) return 0;
  for (uint32_t k = 1; k < n; ++k)
    if ((static_cast<unsigned char>(s[k]) & 0xC0) != 0x80) return 0;
  return n;
}

bool is_ident_start(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
bool is_ident_char(char c) {
  return is_ident_start(c) || is_digit(c);
}

class Lexer {
 public:
  Lexer(const SourceFile& f, DiagnosticSink& d) : file_(f), text_(f.text()), diags_(d) {}

  LexResult run() {
    LexResult out;
    out.tokens.reserve(text_.size() / 3 + 1);  // ~3 bytes per token in typical TL
    bool newline = true;
    if (text_.substr(0, 3) == "\xEF\xBB\xBF") pos_ = 3;  // a UTF-8 byte-order mark is not code
    while (true) {
      newline |= skip_trivia(out.comments);
      if (pos_ >= text_.size()) {
        out.tokens.push_back({TokenKind::Eof, true, false, size(), size()});
        break;
      }
      Token t = next();
      t.newline_before = newline;
      newline = false;
      out.tokens.push_back(t);
    }
    return out;
  }

 private:
  uint32_t size() const { return static_cast<uint32_t>(text_.size()); }
  char peek(uint32_t k = 0) const { return pos_ + k < text_.size() ? text_[pos_ + k] : '\0'; }
  SourceRange range(uint32_t b, uint32_t e) const { return {file_.id(), b, e}; }

  // Skips whitespace and comments; returns whether a line break was crossed.
  bool skip_trivia(std::vector<ast::Comment>& comments) {
    bool newline = false;
    while (pos_ < text_.size()) {
      char c = text_[pos_];
      if (c == '\n') {
        newline = true;
        ++pos_;
      } else if (c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v') {
        ++pos_;
      } else if ((c == '/' && peek(1) == '/') || c == '#') {  // `#`: Python's comment
        uint32_t b = pos_;
        while (pos_ < text_.size() && text_[pos_] != '\n') ++pos_;
        uint32_t e = pos_;
        if (e > b && text_[e - 1] == '\r') --e;
        comments.push_back({range(b, e), false, own_line(b), true});
      } else if (c == '/' && peek(1) == '*') {
        uint32_t b = pos_;
        pos_ += 2;
        bool closed = false;
        while (pos_ < text_.size()) {
          if (text_[pos_] == '*' && peek(1) == '/') {
            pos_ += 2;
            closed = true;
            break;
          }
          if (text_[pos_] == '\n') newline = true;
          ++pos_;
        }
        if (!closed) {
          diags_.report(DiagCode::E0103, range(b, b + 2), "unterminated block comment")
              .note(range(size(), size()), "end of file reached here; add '*/'");
        }
        comments.push_back({range(b, pos_), true, own_line(b), newline_follows(pos_)});
      } else {
        break;
      }
    }
    return newline;
  }

  bool own_line(uint32_t b) const {
    while (b > 0) {
      char c = text_[b - 1];
      if (c == '\n') return true;
      if (c != ' ' && c != '\t' && c != '\r') return false;
      --b;
    }
    return true;
  }
  bool newline_follows(uint32_t e) const {
    while (e < text_.size()) {
      char c = text_[e];
      if (c == '\n') return true;
      if (c != ' ' && c != '\t' && c != '\r') return false;
      ++e;
    }
    return true;
  }

  Token make(TokenKind k, uint32_t b) const { return {k, false, false, b, pos_}; }

  Token next() {
    uint32_t b = pos_;
    char c = text_[pos_];
    if (is_ident_start(c)) {
      while (pos_ < text_.size() && is_ident_char(text_[pos_])) ++pos_;
      std::string_view word = text_.substr(b, pos_ - b);
      for (const Keyword& k : kKeywords)
        if (k.text == word) return make(k.kind, b);
      return make(TokenKind::Identifier, b);
    }
    if (is_digit(c)) return number();
    if (c == '"') return string();
    ++pos_;
    auto two = [&](char second, TokenKind yes, TokenKind no) {
      if (peek() == second) {
        ++pos_;
        return make(yes, b);
      }
      return make(no, b);
    };
    switch (c) {
      case '|':
        if (peek() == '|') return two('|', TokenKind::PipePipe, TokenKind::Error);
        return lone(b, "'|' is not an operator; did you mean '||'?");
      case '&':
        if (peek() == '&') return two('&', TokenKind::AmpAmp, TokenKind::Error);
        return lone(b, "'&' is not an operator; did you mean '&&'?");
      case '=':
        return two('=', TokenKind::EqualEqual, TokenKind::Equal);
      case '!':
        return two('=', TokenKind::BangEqual, TokenKind::Bang);
      case '<':
        return two('=', TokenKind::LessEqual, TokenKind::Less);
      case '>':
        return two('=', TokenKind::GreaterEqual, TokenKind::Greater);
      case '+':
        return make(TokenKind::Plus, b);
      case '-':
        return two('>', TokenKind::Arrow, TokenKind::Minus);
      case '*':
        return two('*', TokenKind::StarStar, TokenKind::Star);
      case '/':
        return make(TokenKind::Slash, b);
      case '%':
        return make(TokenKind::Percent, b);
      case '@':
        return make(TokenKind::At, b);
      case ':':
        return two('=', TokenKind::ColonEqual, TokenKind::Colon);
      case ',':
        return make(TokenKind::Comma, b);
      case '.':
        return make(TokenKind::Dot, b);
      case ';':
        return make(TokenKind::Semicolon, b);
      case '(':
        return make(TokenKind::LParen, b);
      case ')':
        return make(TokenKind::RParen, b);
      case '[':
        return make(TokenKind::LBracket, b);
      case ']':
        return make(TokenKind::RBracket, b);
      case '{':
        return make(TokenKind::LBrace, b);
      case '}':
        return make(TokenKind::RBrace, b);
      case '?':
        return make(TokenKind::Question, b);
      default:
        break;
    }
    // Anything else: swallow a run of such bytes into one Error token, one diagnostic.
    while (pos_ < text_.size() && !starts_token(text_[pos_])) ++pos_;
    std::string_view bad = text_.substr(b, pos_ - b);
    unsigned char first = static_cast<unsigned char>(bad[0]);
    std::string message;
    if (uint32_t n = valid_utf8_length(bad); n > 1) {
      // A non-ASCII character (often a name typed in another script): quote it.
      uint32_t cp = static_cast<unsigned char>(bad[0]) & (n == 2 ? 0x1F : n == 3 ? 0x0F : 0x07);
      for (uint32_t k = 1; k < n; ++k) cp = (cp << 6) | (static_cast<unsigned char>(bad[k]) & 0x3F);
      message = fmt::format(
          "unexpected character '{}' (U+{:04X}): outside strings and comments TL is ASCII",
          bad.substr(0, n), cp);
    } else {
      message = fmt::format("unexpected character {}", first >= 0x21 && first < 0x7f
                                                           ? fmt::format("'{}'", bad[0])
                                                           : fmt::format("byte 0x{:02X}", first));
      if (bad.size() > 1) message += fmt::format(" (and {} more bytes)", bad.size() - 1);
    }
    diags_.report(DiagCode::E0101, range(b, pos_), std::move(message));
    return make(TokenKind::Error, b);
  }

  static bool starts_token(char c) {
    return is_ident_char(c) || c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '"' ||
           std::string_view("|&=!<>+-*/%@:,.;()[]{}?").find(c) != std::string_view::npos;
  }

  Token lone(uint32_t b, std::string_view message) {
    diags_.report(DiagCode::E0101, range(b, pos_), std::string(message));
    return make(TokenKind::Error, b);
  }

  Token number() {
    uint32_t b = pos_;
    bool is_float = false;
    while (is_digit(peek())) ++pos_;
    if (peek() == '.' && is_digit(peek(1))) {
      is_float = true;
      ++pos_;
      while (is_digit(peek())) ++pos_;
    }
    if (peek() == 'e' || peek() == 'E') {
      uint32_t e = pos_;
      ++pos_;
      if (peek() == '+' || peek() == '-') ++pos_;
      if (!is_digit(peek())) {
        diags_.report(DiagCode::E0105, range(b, pos_), "malformed number: exponent has no digits");
      }
      while (is_digit(peek())) ++pos_;
      is_float = true;
      (void)e;
    }
    if (is_ident_start(peek())) {
      uint32_t s = pos_;
      while (is_ident_char(peek())) ++pos_;
      diags_.report(
          DiagCode::E0105, range(b, pos_),
          fmt::format("malformed number: unexpected suffix '{}'", text_.substr(s, pos_ - s)));
    }
    return make(is_float ? TokenKind::FloatLiteral : TokenKind::IntLiteral, b);
  }

  Token string() {
    uint32_t b = pos_++;
    while (pos_ < text_.size()) {
      char c = text_[pos_];
      if (c == '"') {
        ++pos_;
        return make(TokenKind::StringLiteral, b);
      }
      if (c == '\n') break;
      if (c == '\\' && pos_ + 1 < text_.size() && text_[pos_ + 1] != '\n') ++pos_;
      ++pos_;
    }
    uint32_t e = pos_;
    if (e > b && text_[e - 1] == '\r') --e;
    diags_.report(DiagCode::E0102, range(b, e), "unterminated string literal")
        .fix(range(e, e), "\"");
    Token t = make(TokenKind::StringLiteral, b);
    t.malformed = true;
    return t;
  }

  const SourceFile& file_;
  std::string_view text_;
  DiagnosticSink& diags_;
  uint32_t pos_ = 0;
};

void append_utf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

}  // namespace

std::string_view token_spelling(TokenKind k) {
  return kSpellings[static_cast<size_t>(k)];
}

bool is_keyword(TokenKind k) {
  return k >= TokenKind::Fn;
}

LexResult lex(const SourceFile& file, DiagnosticSink& diags) {
  return Lexer(file, diags).run();
}

std::string decode_string(const SourceFile& file, const Token& tok, DiagnosticSink* diags) {
  std::string_view raw = file.text().substr(tok.begin, tok.end - tok.begin);
  std::string out;
  size_t end = raw.size();
  if (end >= 2 && raw.back() == '"') --end;  // unterminated strings have no closing quote
  for (size_t i = 1; i < end; ++i) {
    char c = raw[i];
    if (c != '\\' || i + 1 >= end) {
      if (c != '\r' || i + 1 < end) out += c;
      continue;
    }
    char e = raw[++i];
    switch (e) {
      case 'n':
        out += '\n';
        break;
      case 't':
        out += '\t';
        break;
      case 'r':
        out += '\r';
        break;
      case '0':
        out += '\0';
        break;
      case '\\':
        out += '\\';
        break;
      case '"':
        out += '"';
        break;
      case '\'':
        out += '\'';
        break;
      case 'u': {
        // \u{1F600}
        size_t j = i + 1;
        uint32_t cp = 0;
        bool ok = j < end && raw[j] == '{';
        size_t digits = 0;
        if (ok) {
          for (++j; j < end && raw[j] != '}'; ++j, ++digits) {
            char h = raw[j];
            int v = is_digit(h)              ? h - '0'
                    : (h >= 'a' && h <= 'f') ? h - 'a' + 10
                    : (h >= 'A' && h <= 'F') ? h - 'A' + 10
                                             : -1;
            if (v < 0 || digits >= 6) {
              ok = false;
              break;
            }
            cp = cp * 16 + static_cast<uint32_t>(v);
          }
          ok = ok && j < end && raw[j] == '}' && digits > 0 && cp <= 0x10FFFF &&
               !(cp >= 0xD800 && cp <= 0xDFFF);
        }
        if (ok) {
          append_utf8(out, cp);
          i = j;
        } else if (diags) {
          uint32_t at = tok.begin + static_cast<uint32_t>(i) - 1;
          diags->report(DiagCode::E0104, {file.id(), at, at + 2},
                        "invalid unicode escape: expected \\u{XXXX} with 1 to 6 hex digits");
        }
        break;
      }
      default:
        if (diags) {
          uint32_t at = tok.begin + static_cast<uint32_t>(i) - 1;
          unsigned char u = static_cast<unsigned char>(e);
          diags->report(DiagCode::E0104, {file.id(), at, at + 2},
                        u >= 0x21 && u < 0x7f ? fmt::format("unknown escape sequence '\\{}'", e)
                                              : std::string("unknown escape sequence"));
        }
        out += e;
        break;
    }
  }
  return out;
}

}  // namespace tl
