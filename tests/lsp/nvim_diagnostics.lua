-- Headless Neovim (0.7+) with the built-in LSP client: editors/nvim's setup() starts tl-lsp on a
-- .tl file, and the diagnostics it publishes reach vim.diagnostic. Driven by nvim_test.sh, which
-- passes paths in the environment; writes "CODE LINE:COL MESSAGE" lines to TL_NVIM_OUT.
-- TL_NVIM_LINT: '1' lint on, '0' setup({ lint = false }), 'toggle' lint on, then set_lint(false)
-- once the first diagnostics arrived (the lines written are those after the toggle).
vim.opt.runtimepath:append(vim.env.TL_NVIM_RTP)
vim.cmd('filetype on')
local tl = require('tensorlogic')
tl.setup({
  cmd = { vim.env.TL_LSP_BIN, '--quiet', '--debounce-ms=10' },
  lint = vim.env.TL_NVIM_LINT ~= '0',
})
vim.cmd('edit ' .. vim.fn.fnameescape(vim.env.TL_NVIM_FILE))
local got = vim.wait(20000, function()
  return #vim.diagnostic.get(0) > 0
end, 50)
local function has_lint()
  for _, d in ipairs(vim.diagnostic.get(0)) do
    if tostring(d.code):sub(1, 3) == 'W06' then
      return true
    end
  end
  return false
end
if got and vim.env.TL_NVIM_LINT == 'toggle' then
  got = vim.wait(20000, has_lint, 50)
  tl.set_lint(false)
  got = got and vim.wait(20000, function()
    return not has_lint() and #vim.diagnostic.get(0) > 0
  end, 50)
end
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
