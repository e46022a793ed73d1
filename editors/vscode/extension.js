// Minimal VS Code client for tl-lsp: starts the server over stdio for .tl files.
'use strict';
const vscode = require('vscode');
const { LanguageClient, TransportKind } = require('vscode-languageclient/node');

let client;

function activate(context) {
  const config = vscode.workspace.getConfiguration('tensorlogic');
  const command = config.get('server.path', 'tl-lsp');
  const debounce = config.get('server.debounceMs', 150);
  const run = { command, args: ['--stdio', `--debounce-ms=${debounce}`], transport: TransportKind.stdio };
  client = new LanguageClient(
    'tensorlogic',
    'TensorLogic',
    { run, debug: run },
    {
      documentSelector: [{ scheme: 'file', language: 'tensorlogic' }, { scheme: 'untitled', language: 'tensorlogic' }],
      // The `tl` settings: their values at start, then every change as
      // workspace/didChangeConfiguration {settings: {tl: {...}}}, which republishes open documents.
      initializationOptions: { lint: vscode.workspace.getConfiguration('tl').get('lint', true) },
      synchronize: {
        configurationSection: 'tl',
        // Model files and imported .tl files changed on disk: the server checks open documents again.
        fileEvents: vscode.workspace.createFileSystemWatcher('**/*.{tl,safetensors,gguf}'),
      },
    }
  );
  context.subscriptions.push(client);
  return client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
