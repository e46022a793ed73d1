// Tokens of TL. Newlines are not tokens: each token records whether a line break came before it,
// which is all the parser needs to end statements (and the formatter to keep line structure).
#pragma once

#include <cstdint>
#include <string_view>

namespace tl {

// TL_TOKEN(Name, "spelling"): punctuators and operators; keywords use TL_KEYWORD.
#define TL_TOKENS(TL_TOKEN, TL_KEYWORD)     \
  TL_TOKEN(Eof, "end of file")              \
  TL_TOKEN(Error, "invalid token")          \
  TL_TOKEN(Identifier, "identifier")        \
  TL_TOKEN(IntLiteral, "integer literal")   \
  TL_TOKEN(FloatLiteral, "float literal")   \
  TL_TOKEN(StringLiteral, "string literal") \
  TL_TOKEN(PipePipe, "||")                  \
  TL_TOKEN(AmpAmp, "&&")                    \
  TL_TOKEN(EqualEqual, "==")                \
  TL_TOKEN(BangEqual, "!=")                 \
  TL_TOKEN(Less, "<")                       \
  TL_TOKEN(LessEqual, "<=")                 \
  TL_TOKEN(Greater, ">")                    \
  TL_TOKEN(GreaterEqual, ">=")              \
  TL_TOKEN(Plus, "+")                       \
  TL_TOKEN(Minus, "-")                      \
  TL_TOKEN(Star, "*")                       \
  TL_TOKEN(Slash, "/")                      \
  TL_TOKEN(Percent, "%")                    \
  TL_TOKEN(At, "@")                         \
  TL_TOKEN(StarStar, "**")                  \
  TL_TOKEN(Bang, "!")                       \
  TL_TOKEN(Equal, "=")                      \
  TL_TOKEN(ColonEqual, ":=")                \
  TL_TOKEN(Colon, ":")                      \
  TL_TOKEN(Comma, ",")                      \
  TL_TOKEN(Dot, ".")                        \
  TL_TOKEN(Semicolon, ";")                  \
  TL_TOKEN(Arrow, "->")                     \
  TL_TOKEN(LParen, "(")                     \
  TL_TOKEN(RParen, ")")                     \
  TL_TOKEN(LBracket, "[")                   \
  TL_TOKEN(RBracket, "]")                   \
  TL_TOKEN(LBrace, "{")                     \
  TL_TOKEN(RBrace, "}")                     \
  TL_TOKEN(Question, "?")                   \
  TL_KEYWORD(Fn, "fn")                      \
  TL_KEYWORD(Function, "function")          \
  TL_KEYWORD(Let, "let")                    \
  TL_KEYWORD(Tensor, "tensor")              \
  TL_KEYWORD(Main, "main")                  \
  TL_KEYWORD(Import, "import")              \
  TL_KEYWORD(If, "if")                      \
  TL_KEYWORD(Else, "else")                  \
  TL_KEYWORD(While, "while")                \
  TL_KEYWORD(For, "for")                    \
  TL_KEYWORD(In, "in")                      \
  TL_KEYWORD(Break, "break")                \
  TL_KEYWORD(Continue, "continue")          \
  TL_KEYWORD(Return, "return")              \
  TL_KEYWORD(True, "true")                  \
  TL_KEYWORD(False, "false")                \
  TL_KEYWORD(Learnable, "learnable")        \
  TL_KEYWORD(Frozen, "frozen")

enum class TokenKind : uint8_t {
#define TL_TOKEN_ENUM(name, spelling) name,
  TL_TOKENS(TL_TOKEN_ENUM, TL_TOKEN_ENUM)
#undef TL_TOKEN_ENUM
};

// "(" for punctuators, "fn" for keywords, "identifier" for the others (for messages).
std::string_view token_spelling(TokenKind k);
bool is_keyword(TokenKind k);

struct Token {  // 12 bytes: a 100k-line file has over a million of them
  TokenKind kind = TokenKind::Eof;
  bool newline_before = false;  // a line break (or the start of the file) precedes this token
  bool malformed = false;       // the lexer reported an error inside it (unterminated string)
  uint32_t begin = 0;           // byte offsets into the file
  uint32_t end = 0;
};
static_assert(sizeof(Token) == 12);

}  // namespace tl
