-- Headless Neovim (0.7+) with editors/nvim: setup() alone gives omnifunc, keymaps, the ftplugin
-- and the fallback syntax; one client per root; a crashed server is replaced for the next
-- buffer; shutdown leaves no error and no server. Driven by nvim_test.sh (paths in the
-- environment); writes "ok ..." / "FAIL ..." lines and a last "DONE" to TL_NVIM_OUT.
local out = {}
local function log(line) table.insert(out, line) end
local function check(cond, what)
  log((cond and 'ok ' or 'FAIL ') .. what)
  return cond
end
local notes = {}
local notify = vim.notify
vim.notify = function(msg, level, o)
  table.insert(notes, tostring(msg))
  return notify(msg, level, o)
end

local function finish()
  log('notes: ' .. table.concat(notes, ' | '):gsub('\n', ' '))
  log('DONE')
  vim.fn.writefile(out, vim.env.TL_NVIM_OUT)
  vim.cmd('qall!')
end

local ok, err = pcall(function()
  vim.opt.runtimepath:prepend(vim.env.TL_NVIM_RTP)
  vim.cmd('filetype plugin on')
  vim.cmd('syntax on')
  local tl = require('tensorlogic')
  tl.setup({ cmd = { vim.env.TL_LSP_BIN, '--stdio', '--quiet', '--debounce-ms=10' } })
  local dir = vim.env.TL_NVIM_DIR
  local function tl_clients() return tl.clients() end
  local function attached(buf)
    for _, c in ipairs(tl_clients()) do
      if vim.lsp.buf_is_attached(buf, c.id) then return c end
    end
  end

  vim.cmd('edit ' .. dir .. '/a.tl')
  local a = vim.api.nvim_get_current_buf()
  check(vim.bo.filetype == 'tensorlogic', 'filetype tensorlogic')
  check(vim.bo.commentstring == '// %s', 'commentstring from the ftplugin')
  check(vim.bo.shiftwidth == 4 and vim.bo.expandtab, 'indentation as tl fmt writes it')
  check(vim.wait(20000, function() return attached(a) ~= nil end, 20), 'client attached')
  check(vim.bo.omnifunc == 'v:lua.vim.lsp.omnifunc', 'omnifunc set: ' .. vim.bo.omnifunc)
  check(vim.fn.maparg('K', 'n', false, true).buffer == 1, 'buffer-local K')
  check(vim.fn.maparg('gd', 'n', false, true).buffer == 1, 'buffer-local gd')
  check(vim.wait(20000, function() return #vim.diagnostic.get(a) > 0 end, 20), 'diagnostics arrived')
  local d = vim.diagnostic.get(a)[1]
  check(d and tostring(d.code):match('^E0') ~= nil, 'a checker error: ' .. (d and d.message or 'none'))
  local hover = vim.lsp.buf_request_sync(a, 'textDocument/hover',
    { textDocument = { uri = vim.uri_from_bufnr(a) }, position = { line = 0, character = 4 } }, 5000)
  local hv
  for _, r in pairs(hover or {}) do hv = r.result end
  check(hv and hv.contents and hv.contents.value:match('float16') ~= nil, 'hover answers')
  local syn = vim.fn.synIDattr(vim.fn.synID(1, 1, 1), 'name')
  check(syn == 'tlKeyword', 'fallback syntax on `let`: ' .. syn)

  vim.cmd('edit ' .. dir .. '/b.tl')
  local b = vim.api.nvim_get_current_buf()
  check(vim.wait(20000, function() return attached(b) ~= nil end, 20), 'second buffer attached')
  check(#tl_clients() == 1, 'one client for the root: ' .. #tl_clients())

  -- The server crashes: the next .tl buffer gets a new client that works.
  local first = attached(b)
  vim.loop.kill(first.rpc.pid, 9)
  check(vim.wait(10000, function() return first.is_stopped() end, 20), 'crash noticed')
  vim.cmd('edit ' .. dir .. '/c.tl')
  local c = vim.api.nvim_get_current_buf()
  check(vim.wait(20000, function() return attached(c) ~= nil end, 20), 'new client after the crash')
  check(vim.wait(20000, function() return #vim.diagnostic.get(c) > 0 end, 20), 'diagnostics from the new server')
  notes = {} -- the crash was reported; from here on nothing may be

  -- Clean shutdown: shutdown + exit, the process gone, no error reported.
  local pids = {}
  for _, cl in ipairs(tl_clients()) do
    table.insert(pids, cl.rpc.pid)
    vim.lsp.stop_client(cl.id)
  end
  check(vim.wait(10000, function() return #tl_clients() == 0 end, 20), 'clients stopped')
  check(vim.wait(5000, function()
    for _, pid in ipairs(pids) do
      if vim.loop.kill(pid, 0) == 0 then return false end
    end
    return true
  end, 20), 'no server left running')
  vim.wait(300)
  local bad = false
  for _, n in ipairs(notes) do
    if n:match('exit code') or n:match('rror') then bad = true end
  end
  check(not bad, 'no error at shutdown')
end)
if not ok then log('FAIL error: ' .. tostring(err)) end
finish()
