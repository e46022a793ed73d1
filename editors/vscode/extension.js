// VS Code client for tl-lsp: starts the server over stdio for .tl files, and adds commands, a
// status item and `tl check` / `tl run` tasks. Bundled with esbuild into dist/extension.js.
'use strict';
const path = require('path');
const vscode = require('vscode');
const { LanguageClient, State } = require('vscode-languageclient/node');

const SECTION = 'tensorlogic';
let client;
let statusItem;
let output;

// The server's settings, as initializationOptions and workspace/didChangeConfiguration send them.
function serverSettings() {
  const config = vscode.workspace.getConfiguration(SECTION);
  return { lint: config.get('lint', true), programArgs: config.get('programArgs', {}) };
}

// A workspace can set tensorlogic.server.path only once the user trusts it; otherwise the
// user's (or the machine's) value is used, so opening a folder never runs a binary it names.
function serverCommand() {
  const config = vscode.workspace.getConfiguration(SECTION);
  const pick = (key, fallback) => {
    if (vscode.workspace.isTrusted) return config.get(key, fallback);
    const i = config.inspect(key);
    return i.globalValue !== undefined ? i.globalValue : i.defaultValue !== undefined ? i.defaultValue : fallback;
  };
  const command = pick('server.path', 'tl-lsp') || 'tl-lsp';
  const extra = (pick('server.args', []) || []).filter((a) => a !== '--stdio');
  const debounce = config.get('server.debounceMs', 150);
  return { command, args: ['--stdio', `--debounce-ms=${debounce}`, ...extra] };
}

function updateStatus(state) {
  if (!statusItem) return;
  const text = { [State.Running]: 'running', [State.Starting]: 'starting', [State.Stopped]: 'stopped' }[state] || 'stopped';
  statusItem.text = state === State.Running ? '$(check) tl-lsp' : state === State.Starting ? '$(sync~spin) tl-lsp' : '$(error) tl-lsp';
  statusItem.tooltip = `TensorLogic language server: ${text}. Click to show its output.`;
  statusItem.show();
}

async function startClient(context) {
  const { command, args } = serverCommand();
  // No `transport`: the client would append --stdio itself, and it is already in args.
  const run = { command, args };
  client = new LanguageClient(
    SECTION,
    'TensorLogic',
    { run, debug: run },
    {
      documentSelector: [{ scheme: 'file', language: 'tensorlogic' }, { scheme: 'untitled', language: 'tensorlogic' }],
      outputChannel: output,
      initializationOptions: serverSettings(),
      synchronize: {
        // Model files and imported .tl files changed on disk: the server checks open documents again.
        fileEvents: vscode.workspace.createFileSystemWatcher('**/*.{tl,safetensors,gguf}'),
      },
    }
  );
  client.onDidChangeState((e) => updateStatus(e.newState));
  updateStatus(State.Starting);
  try {
    await client.start();
  } catch (err) {
    updateStatus(State.Stopped);
    vscode.window.showErrorMessage(`tl-lsp did not start (${command}): ${err.message || err}. Set tensorlogic.server.path.`);
  }
}

async function restart(context) {
  if (client) {
    try {
      await client.stop();
    } catch (_) {
      // already stopped or crashed
    }
    client = undefined;
  }
  await startClient(context);
}

// `tl check FILE` / `tl run FILE` as tasks whose output the "$tl" problem matcher reads.
function makeTask(definition, scope) {
  const config = vscode.workspace.getConfiguration(SECTION);
  const tl = config.get('tl.path', 'tl') || 'tl';
  const file = definition.file || '${file}';
  const exec = new vscode.ProcessExecution(tl, [definition.command, file]);
  const task = new vscode.Task(definition, scope || vscode.TaskScope.Workspace, `${definition.command} ${definition.file ? path.basename(definition.file) : 'current file'}`, 'tl', exec, ['$tl']);
  if (definition.command === 'check') task.group = vscode.TaskGroup.Build;
  return task;
}

function activate(context) {
  output = vscode.window.createOutputChannel('TensorLogic');
  statusItem = vscode.window.createStatusBarItem(vscode.StatusBarAlignment.Left, 0);
  statusItem.command = 'tensorlogic.showOutput';
  context.subscriptions.push(output, statusItem);
  context.subscriptions.push(
    vscode.commands.registerCommand('tensorlogic.restartServer', () => restart(context)),
    vscode.commands.registerCommand('tensorlogic.showOutput', () => output.show(true)),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (!client) return;
      if (e.affectsConfiguration(`${SECTION}.server`)) {
        restart(context);
      } else if (e.affectsConfiguration(`${SECTION}.lint`) || e.affectsConfiguration(`${SECTION}.programArgs`)) {
        client.sendNotification('workspace/didChangeConfiguration', { settings: { tl: serverSettings() } });
      }
    }),
    vscode.workspace.onDidGrantWorkspaceTrust(() => restart(context)),
    vscode.tasks.registerTaskProvider('tl', {
      provideTasks: () => [makeTask({ type: 'tl', command: 'check' }), makeTask({ type: 'tl', command: 'run' })],
      resolveTask: (task) => (task.definition.command ? makeTask(task.definition, task.scope) : undefined),
    })
  );
  return startClient(context);
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
