-- The fallback Vim syntax (editors/nvim/syntax/tensorlogic.vim) on every docs/examples/*.tl:
-- writes "LINE:COL TEXT GROUP" for each word's syntax group to TL_NVIM_OUT, compared by
-- nvim_test.sh with the expectations there.
vim.opt.runtimepath:prepend(vim.env.TL_NVIM_RTP)
vim.cmd('filetype plugin on')
vim.cmd('syntax on')
local out = {}
local files = vim.fn.glob(vim.env.TL_EXAMPLES .. '/*.tl', false, true)
table.insert(files, vim.env.TL_NVIM_DIR .. '/syntax_cases.tl')
for _, file in ipairs(files) do
  vim.cmd('edit ' .. vim.fn.fnameescape(file))
  table.insert(out, 'file ' .. vim.fn.fnamemodify(file, ':t') .. ' ' .. vim.bo.filetype .. ' ' .. (vim.b.current_syntax or ''))
  for lnum = 1, vim.fn.line('$') do
    local line = vim.fn.getline(lnum)
    for s, word in line:gmatch('()([%w_]+)') do
      local group = vim.fn.synIDattr(vim.fn.synID(lnum, s, 1), 'name')
      table.insert(out, string.format('%d:%d %s %s', lnum, s, word, group))
    end
    for s, ch in line:gmatch('()([<>?])') do
      table.insert(out, string.format('%d:%d %s %s', lnum, s, ch,
        vim.fn.synIDattr(vim.fn.synID(lnum, s, 1), 'name')))
    end
  end
end
vim.fn.writefile(out, vim.env.TL_NVIM_OUT)
vim.cmd('qall!')
