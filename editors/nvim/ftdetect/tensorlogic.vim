" TensorLogic: *.tl files (Neovim 0.7+ and Vim).
autocmd BufRead,BufNewFile *.tl setfiletype tensorlogic
