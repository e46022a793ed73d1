// The hand-written lexer. One pass over the bytes: tokens (with a newline-before flag instead of
// newline tokens) and comments as trivia on the side. Errors are reported and lexing goes on, so
// every input yields a token list ending in Eof.
#pragma once

#include <vector>

#include "compiler/syntax/ast.h"
#include "compiler/syntax/diagnostics.h"
#include "compiler/syntax/source.h"
#include "compiler/syntax/token.h"

namespace tl {

struct LexResult {
  std::vector<Token> tokens;  // ends with Eof
  std::vector<ast::Comment> comments;
};

LexResult lex(const SourceFile& file, DiagnosticSink& diags);

// Decodes the escapes of a string token's text (quotes included). Reports invalid escapes when
// `diags` is non-null.
std::string decode_string(const SourceFile& file, const Token& tok, DiagnosticSink* diags);

}  // namespace tl
