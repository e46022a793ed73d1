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
syn match   tlNumber      "\<\d\+\(\.\d*\)\=\([eE][+-]\=\d\+\)\=\>"
syn region  tlString      start=+"+ skip=+\\\\\|\\"+ end=+"+ oneline
syn match   tlFunction    "\<\h\w*\ze\s*("
syn match   tlOperator    "->\|\*\*\|:=\|==\|!=\|<=\|>=\|&&\|||\|[-+*/%@<>=!]"
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
hi def link tlFunction    Function
hi def link tlOperator    Operator
hi def link tlTodo        Todo
hi def link tlComment     Comment

let b:current_syntax = "tensorlogic"
