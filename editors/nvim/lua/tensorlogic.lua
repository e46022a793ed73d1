-- tl-lsp for Neovim 0.7+ with the built-in client (no plugin needed).
-- Put editors/nvim on 'runtimepath' (or copy ftdetect/, syntax/, lua/ into ~/.config/nvim/),
-- then in init.lua:  require('tensorlogic').setup({ cmd = { 'tl-lsp' } })
local M = {}

local function root_dir(fname)
  local dir = vim.fn.fnamemodify(fname, ':p:h')
  local git = vim.fn.finddir('.git', dir .. ';')
  if git ~= '' then
    return vim.fn.fnamemodify(git, ':p:h:h')
  end
  return dir
end

function M.setup(opts)
  opts = opts or {}
  local cmd = opts.cmd or { 'tl-lsp', '--stdio' }
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
          on_attach = opts.on_attach,
        })
      end
      if client_id then
        vim.lsp.buf_attach_client(args.buf, client_id)
      end
    end,
  })
end

-- With nvim-lspconfig instead:
--   local configs = require('lspconfig.configs')
--   if not configs.tl_lsp then
--     configs.tl_lsp = { default_config = {
--       cmd = { 'tl-lsp', '--stdio' }, filetypes = { 'tensorlogic' },
--       root_dir = require('lspconfig.util').root_pattern('.git'), single_file_support = true } }
--   end
--   require('lspconfig').tl_lsp.setup({})

return M
