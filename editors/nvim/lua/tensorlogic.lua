-- tl-lsp for Neovim 0.7+ with the built-in client (no plugin needed).
-- Put editors/nvim on 'runtimepath' (or copy ftdetect/, syntax/, lua/ into ~/.config/nvim/),
-- then in init.lua:  require('tensorlogic').setup({ cmd = { 'tl-lsp' } })
-- Options: cmd, on_attach, lint (default true: publish the linter's findings too).
-- At run time, require('tensorlogic').set_lint(false) turns lint findings off (and back on).
local M = {}

local function root_dir(fname)
  local dir = vim.fn.fnamemodify(fname, ':p:h')
  local git = vim.fn.finddir('.git', dir .. ';')
  if git ~= '' then
    return vim.fn.fnamemodify(git, ':p:h:h')
  end
  return dir
end

-- The server's settings, as initializationOptions and as workspace/didChangeConfiguration's.
local function settings(lint)
  return { tl = { lint = lint } }
end

function M.setup(opts)
  opts = opts or {}
  local cmd = opts.cmd or { 'tl-lsp', '--stdio' }
  local lint = opts.lint ~= false
  local client_id = nil
  vim.api.nvim_create_autocmd('FileType', {
    pattern = 'tensorlogic',
    callback = function(args)
      if not client_id then
        -- One server for all .tl buffers; Neovim 0.7's API (vim.lsp.start arrived in 0.8).
        client_id = vim.lsp.start_client({
          name = 'tl-lsp',
          cmd = cmd,
          root_dir = root_dir(vim.api.nvim_buf_get_name(args.buf)),
          capabilities = vim.lsp.protocol.make_client_capabilities(),
          init_options = settings(lint).tl,
          settings = settings(lint),
          on_attach = opts.on_attach,
        })
      end
      if client_id then
        vim.lsp.buf_attach_client(args.buf, client_id)
      end
    end,
  })
end

-- Turns the lint findings on or off in every running tl-lsp: open buffers are republished.
function M.set_lint(enabled)
  for _, client in pairs(vim.lsp.get_active_clients()) do
    if client.name == 'tl-lsp' then
      client.config.settings = settings(enabled)
      client.notify('workspace/didChangeConfiguration', { settings = client.config.settings })
    end
  end
end

-- With nvim-lspconfig instead (`init_options = { lint = false }` turns lint findings off):
--   local configs = require('lspconfig.configs')
--   if not configs.tl_lsp then
--     configs.tl_lsp = { default_config = {
--       cmd = { 'tl-lsp', '--stdio' }, filetypes = { 'tensorlogic' },
--       root_dir = require('lspconfig.util').root_pattern('.git'), single_file_support = true } }
--   end
--   require('lspconfig').tl_lsp.setup({})

return M
