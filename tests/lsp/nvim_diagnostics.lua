-- Headless Neovim (0.7+) with the built-in LSP client: editors/nvim's setup() starts tl-lsp on a
-- .tl file, and the diagnostics it publishes reach vim.diagnostic. Driven by nvim_test.sh, which
-- passes paths in the environment; writes "CODE LINE:COL MESSAGE" lines to TL_NVIM_OUT.
vim.opt.runtimepath:append(vim.env.TL_NVIM_RTP)
vim.cmd('filetype on')
require('tensorlogic').setup({
  cmd = { vim.env.TL_LSP_BIN, '--quiet', '--debounce-ms=10' },
  lint = vim.env.TL_NVIM_LINT ~= '0',
})
vim.cmd('edit ' .. vim.fn.fnameescape(vim.env.TL_NVIM_FILE))
local got = vim.wait(20000, function()
  return #vim.diagnostic.get(0) > 0
end, 50)
local lines = { 'filetype=' .. vim.bo.filetype }
for _, d in ipairs(vim.diagnostic.get(0)) do
  table.insert(lines, string.format('%s %d:%d %s', tostring(d.code), d.lnum, d.col,
    (d.message:gsub('\n', ' '))))
end
if not got then
  table.insert(lines, 'TIMEOUT')
end
vim.fn.writefile(lines, vim.env.TL_NVIM_OUT)
vim.cmd('qall!')
