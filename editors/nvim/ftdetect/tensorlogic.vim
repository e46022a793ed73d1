" TensorLogic: *.tl files (Neovim 0.7+ and Vim). Neovim and Vim map *.tl to Teal by default, so
" `setfiletype` (which keeps an earlier choice) is not enough: this overrides it.
autocmd BufRead,BufNewFile *.tl set filetype=tensorlogic
