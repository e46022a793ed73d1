" TensorLogic buffers: comments and indentation as `tl fmt` writes them (4 spaces, no tabs).
if exists("b:did_ftplugin")
  finish
endif
let b:did_ftplugin = 1

setlocal commentstring=//\ %s
setlocal comments=s1:/*,mb:*,ex:*/,://
setlocal expandtab shiftwidth=4 softtabstop=4 tabstop=4
setlocal formatoptions-=t formatoptions+=croql
setlocal suffixesadd=.tl
setlocal cindent cinoptions=(4,W4,m1 cinkeys-=0#

let b:undo_ftplugin = "setlocal commentstring< comments< expandtab< shiftwidth< softtabstop< tabstop< formatoptions< suffixesadd< cindent< cinoptions< cinkeys<"
