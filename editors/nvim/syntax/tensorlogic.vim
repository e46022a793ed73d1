" Vim syntax file for TensorLogic (.tl). tl-lsp's semantic tokens refine it where enabled.
if exists("b:current_syntax")
  finish
endif

syn keyword tlKeyword     fn function let tensor import main
syn keyword tlConditional if else
syn keyword tlRepeat      while for in break continue
syn keyword tlStatement   return
syn keyword tlModifier    learnable frozen
syn keyword tlBoolean     true false
syn keyword tlConstant    none gpu cpu
syn keyword tlType        float16 float32 float64 bfloat16 int float bool string Shape Model
syn match   tlNumber      "\<\d\+\(\.\d\+\)\=\([eE][+-]\=\d\+\)\=\>"
" An unterminated string ends at the end of its line (as the lexer says, E0102).
syn region  tlString      start=+"+ skip=+\\\\\|\\"+ end=+"+ end=+$+ oneline contains=tlEscape,tlBadEscape
syn match   tlBadEscape   +\\.+ contained
syn match   tlEscape      +\\[nrt0\\"']+ contained
syn match   tlEscape      +\\u{\x\{1,6}}+ contained
" After a dot every word is a member, keywords included (x.in): the match starts at the dot, so
" the keyword at the word's start never gets its turn.
syn match   tlMember      "\.\s*\h\w*" contains=tlMemberDot
syn match   tlMemberDot   "\." contained
syn match   tlUnknownDim  "?"
syn match   tlFunction    "\<\h\w*\ze\s*("
syn match   tlOperator    "->\|\*\*\|:=\|==\|!=\|<=\|>=\|&&\|||\|[-+*/%@<>=!]"
" tensor<float16>(...): a type argument, not two comparisons (defined after the operators, so
" it wins where both start).
syn match   tlTypeArg     "\(\<tensor\s*\)\@<=<\s*\h\w*\s*>" contains=tlType
syn keyword tlTodo        TODO FIXME XXX contained
syn match   tlComment     "//.*$" contains=tlTodo,@Spell
syn region  tlComment     start="/\*" end="\*/" contains=tlTodo,@Spell

hi def link tlKeyword     Keyword
hi def link tlConditional Conditional
hi def link tlRepeat      Repeat
hi def link tlStatement   Statement
hi def link tlModifier    StorageClass
hi def link tlBoolean     Boolean
hi def link tlConstant    Constant
hi def link tlType        Type
hi def link tlNumber      Number
hi def link tlString      String
hi def link tlEscape      SpecialChar
hi def link tlBadEscape   Error
hi def link tlMember      Identifier
hi def link tlMemberDot   Delimiter
hi def link tlUnknownDim  Special
hi def link tlTypeArg     Delimiter
hi def link tlFunction    Function
hi def link tlOperator    Operator
hi def link tlTodo        Todo
hi def link tlComment     Comment

let b:current_syntax = "tensorlogic"
