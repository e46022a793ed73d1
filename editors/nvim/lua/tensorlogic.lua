-- tl-lsp for Neovim 0.7 through 0.11 with the built-in client (no plugin needed).
-- Put editors/nvim on 'runtimepath' (or copy ftdetect/, ftplugin/, syntax/, lua/ into
-- ~/.config/nvim/), then in init.lua:
--   require('tensorlogic').setup()
-- Options (all optional):
--   cmd       = { 'tl-lsp', '--stdio' }   the server's command line
--   lint      = true                      publish the linter's findings too
--   keymaps   = true                      buffer-local LSP keymaps (false: none; a table: yours)
--   on_attach = function(client, bufnr)   called after the defaults are set
--   root_markers = { '.git' }             what marks a project root (else the file's folder)
-- One client runs per project root; a server that crashed is started again for the next buffer.
-- At run time, require('tensorlogic').set_lint(false) turns lint findings off (and back on).
local M = {}

local NAME = 'tl-lsp'
local has_start = vim.lsp.start ~= nil -- 0.8+
local has_config = vim.lsp.config ~= nil and vim.lsp.enable ~= nil -- 0.11+

-- The buffer-local keymaps set on attach (mode, lhs, function, description).
M.default_keymaps = {
  { 'n', 'K', function() vim.lsp.buf.hover() end, 'Hover' },
  { 'n', 'gd', function() vim.lsp.buf.definition() end, 'Go to definition' },
  { 'n', 'gr', function() vim.lsp.buf.references() end, 'References' },
  { 'n', '<C-k>', function() vim.lsp.buf.signature_help() end, 'Signature help' },
  { 'i', '<C-k>', function() vim.lsp.buf.signature_help() end, 'Signature help' },
  { 'n', '<leader>rn', function() vim.lsp.buf.rename() end, 'Rename' },
  { 'n', '<leader>ca', function() vim.lsp.buf.code_action() end, 'Code action' },
  { 'n', '<leader>f', function()
      if vim.lsp.buf.format then vim.lsp.buf.format({ async = true }) else vim.lsp.buf.formatting() end
    end, 'Format' },
  { 'n', '[d', function() vim.diagnostic.goto_prev() end, 'Previous diagnostic' },
  { 'n', ']d', function() vim.diagnostic.goto_next() end, 'Next diagnostic' },
}

local function root_dir(fname, markers)
  local dir = vim.fn.fnamemodify(fname, ':p:h')
  for _, marker in ipairs(markers) do
    local found = vim.fn.finddir(marker, dir .. ';')
    if found == '' then found = vim.fn.findfile(marker, dir .. ';') end
    if found ~= '' then return vim.fn.fnamemodify(found, ':p:h:h') end
  end
  return dir
end

-- The server's settings, as initializationOptions and as workspace/didChangeConfiguration's.
local function settings(lint)
  return { tl = { lint = lint } }
end

-- omnifunc and keymaps for one buffer, then the user's on_attach.
local function attach(opts, client, bufnr)
  vim.api.nvim_buf_set_option(bufnr, 'omnifunc', 'v:lua.vim.lsp.omnifunc')
  if vim.bo[bufnr].formatexpr == '' and vim.lsp.formatexpr then
    vim.api.nvim_buf_set_option(bufnr, 'formatexpr', 'v:lua.vim.lsp.formatexpr()')
  end
  local maps = opts.keymaps
  if maps ~= false then
    if type(maps) ~= 'table' then maps = M.default_keymaps end
    for _, m in ipairs(maps) do
      vim.keymap.set(m[1], m[2], m[3], { buffer = bufnr, silent = true, desc = m[4] })
    end
  end
  if opts.on_attach then opts.on_attach(client, bufnr) end
end

local function client_config(opts, bufnr)
  local markers = opts.root_markers or { '.git' }
  local config = {
    name = NAME,
    cmd = opts.cmd or { 'tl-lsp', '--stdio' },
    root_dir = root_dir(vim.api.nvim_buf_get_name(bufnr), markers),
    capabilities = vim.lsp.protocol.make_client_capabilities(),
    init_options = settings(opts.lint ~= false).tl,
    settings = settings(opts.lint ~= false),
  }
  -- Before LspAttach (0.8), the client's on_attach is the only hook.
  if not has_start then
    config.on_attach = function(client, b) attach(opts, client, b) end
  end
  return config
end

-- 0.7: one client per root by hand, forgetting clients that stopped (a crash included).
local clients_by_root = {}
local function start_07(opts, bufnr)
  local config = client_config(opts, bufnr)
  local id = clients_by_root[config.root_dir]
  if id and (not vim.lsp.get_client_by_id(id) or vim.lsp.client_is_stopped(id)) then id = nil end
  if not id then
    id = vim.lsp.start_client(config)
    clients_by_root[config.root_dir] = id
  end
  if id then vim.lsp.buf_attach_client(bufnr, id) end
end

function M.setup(opts)
  opts = opts or {}
  M.options = opts
  local group = vim.api.nvim_create_augroup('tensorlogic', { clear = true })
  if has_start then
    vim.api.nvim_create_autocmd('LspAttach', {
      group = group,
      callback = function(args)
        local client = vim.lsp.get_client_by_id(args.data.client_id)
        if client and client.name == NAME then attach(opts, client, args.buf) end
      end,
    })
  end
  if has_config then
    -- 0.11: the built-in configuration registry; root_dir(bufnr, on_dir) picks the project.
    local base = client_config(opts, vim.api.nvim_get_current_buf())
    base.root_dir = function(bufnr, on_dir)
      on_dir(root_dir(vim.api.nvim_buf_get_name(bufnr), opts.root_markers or { '.git' }))
    end
    base.name = nil
    base.filetypes = { 'tensorlogic' }
    vim.lsp.config(NAME, base)
    vim.lsp.enable(NAME)
    return
  end
  vim.api.nvim_create_autocmd('FileType', {
    group = group,
    pattern = 'tensorlogic',
    callback = function(args)
      if vim.api.nvim_buf_get_name(args.buf) == '' then return end
      if has_start then
        -- Reuses a running client with the same name and root, starts one otherwise (a client
        -- whose server crashed is not reused).
        vim.lsp.start(client_config(opts, args.buf), { bufnr = args.buf })
      else
        start_07(opts, args.buf)
      end
    end,
  })
end

local function tl_clients()
  local all = vim.lsp.get_clients and vim.lsp.get_clients() or vim.lsp.get_active_clients()
  local out = {}
  for _, client in pairs(all) do
    if client.name == NAME then table.insert(out, client) end
  end
  return out
end
M.clients = tl_clients

-- Turns the lint findings on or off in every running tl-lsp: open buffers are republished.
function M.set_lint(enabled)
  for _, client in ipairs(tl_clients()) do
    client.config.settings = settings(enabled)
    client.notify('workspace/didChangeConfiguration', { settings = client.config.settings })
  end
end

return M
