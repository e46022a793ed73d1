// The TextMate grammar, tokenized by VS Code's own engine (vscode-textmate + vscode-oniguruma):
// targeted cases, and a snapshot of every docs/examples/*.tl file (UPDATE_SNAPSHOTS=1 rewrites
// test/snapshots/ after an intended change; review the diff).
'use strict';
const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const path = require('node:path');
const vsctm = require('vscode-textmate');
const oniguruma = require('vscode-oniguruma');

const root = path.resolve(__dirname, '..');
const examples = path.resolve(root, '../../docs/examples');
const snapshots = path.join(__dirname, 'snapshots');

async function loadGrammar() {
  const wasm = fs.readFileSync(require.resolve('vscode-oniguruma/release/onig.wasm'));
  await oniguruma.loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength));
  const registry = new vsctm.Registry({
    onigLib: Promise.resolve({
      createOnigScanner: (s) => new oniguruma.OnigScanner(s),
      createOnigString: (s) => new oniguruma.OnigString(s),
    }),
    loadGrammar: async (scope) => {
      if (scope !== 'source.tensorlogic') return null;
      const file = path.join(root, 'syntaxes/tl.tmLanguage.json');
      return vsctm.parseRawGrammar(fs.readFileSync(file, 'utf8'), file);
    },
  });
  return registry.loadGrammar('source.tensorlogic');
}

// [[text, innermost scope], ...] per line, whitespace-only tokens dropped.
function tokenize(grammar, text) {
  let stack = vsctm.INITIAL;
  return text.split(/\r?\n/).map((line) => {
    const r = grammar.tokenizeLine(line, stack);
    stack = r.ruleStack;
    return r.tokens
      .map((t) => [line.slice(t.startIndex, t.endIndex), t.scopes[t.scopes.length - 1]])
      .filter(([s]) => s.trim() !== '');
  });
}

function scopeOf(lines, lineNo, text) {
  const hit = lines[lineNo].find(([s]) => s.trim() === text);
  assert.ok(hit, `no token ${JSON.stringify(text)} on line ${lineNo}: ${JSON.stringify(lines[lineNo])}`);
  return hit[1];
}

let grammar;
test.before(async () => {
  grammar = await loadGrammar();
});

test('an unterminated string ends at the end of its line', () => {
  const lines = tokenize(grammar, 'let s = "abc\nlet t = 1');
  assert.strictEqual(scopeOf(lines, 1, 'let'), 'keyword.declaration.tensorlogic');
  assert.strictEqual(scopeOf(lines, 1, '1'), 'constant.numeric.integer.tensorlogic');
});

test('a keyword after a dot is a member', () => {
  const lines = tokenize(grammar, 'let y = x.in + m.shape\nlet z = x.sum(dim: 0)');
  assert.strictEqual(scopeOf(lines, 0, 'in'), 'variable.other.property.tensorlogic');
  assert.strictEqual(scopeOf(lines, 0, 'shape'), 'variable.other.property.tensorlogic');
  assert.strictEqual(scopeOf(lines, 1, 'sum'), 'entity.name.function.member.tensorlogic');
});

test('tensor<float16> has type brackets, not comparisons', () => {
  const lines = tokenize(grammar, 'let a = tensor<float16>([1.0], device: gpu)\nlet b = 1 < 2');
  assert.strictEqual(scopeOf(lines, 0, '<'), 'punctuation.definition.typeparameters.begin.tensorlogic');
  assert.strictEqual(scopeOf(lines, 0, '>'), 'punctuation.definition.typeparameters.end.tensorlogic');
  assert.strictEqual(scopeOf(lines, 0, 'float16'), 'storage.type.tensorlogic');
  assert.strictEqual(scopeOf(lines, 1, '<'), 'keyword.operator.comparison.tensorlogic');
});

test('escapes: \\u{...} is one escape, \\q is invalid', () => {
  const lines = tokenize(grammar, 'let s = "a\\u{1F600}b\\qc\\n"');
  assert.strictEqual(scopeOf(lines, 0, '\\u{1F600}'), 'constant.character.escape.unicode.tensorlogic');
  assert.strictEqual(scopeOf(lines, 0, '\\q'), 'invalid.illegal.escape.tensorlogic');
  assert.strictEqual(scopeOf(lines, 0, '\\n'), 'constant.character.escape.tensorlogic');
});

test('dimensions: ?, size variables and integers', () => {
  const lines = tokenize(grammar, 'fn f(x: float16[?, N, 3]) -> float16[N] {\n}');
  assert.strictEqual(scopeOf(lines, 0, '?'), 'constant.language.unknown-dimension.tensorlogic');
  assert.strictEqual(scopeOf(lines, 0, 'N'), 'variable.other.size.tensorlogic');
  assert.strictEqual(scopeOf(lines, 0, '3'), 'constant.numeric.integer.tensorlogic');
  assert.strictEqual(scopeOf(lines, 0, 'f'), 'entity.name.function.tensorlogic');
  assert.strictEqual(scopeOf(lines, 0, 'x'), 'variable.parameter.tensorlogic');
});

test('comments: line and block, a block across lines', () => {
  const lines = tokenize(grammar, '// let x\n/* a\nb */ let y = 2');
  assert.strictEqual(lines[0][0][1], 'comment.line.double-slash.tensorlogic');
  assert.strictEqual(scopeOf(lines, 1, 'a'), 'comment.block.tensorlogic');
  assert.strictEqual(scopeOf(lines, 2, 'let'), 'keyword.declaration.tensorlogic');
});

const files = fs.readdirSync(examples).filter((f) => f.endsWith('.tl')).sort();
test('docs/examples are there', () => assert.ok(files.length > 0, `no .tl files in ${examples}`));
for (const file of files) {
  test(`snapshot of docs/examples/${file}`, () => {
    const lines = tokenize(grammar, fs.readFileSync(path.join(examples, file), 'utf8'));
    const got = lines.map((toks, i) => toks.map(([s, scope]) => `${i + 1}: ${JSON.stringify(s)} ${scope}`).join('\n')).filter((l) => l).join('\n') + '\n';
    const snap = path.join(snapshots, `${file}.snap`);
    if (process.env.UPDATE_SNAPSHOTS === '1') {
      fs.mkdirSync(snapshots, { recursive: true });
      fs.writeFileSync(snap, got);
    }
    assert.ok(fs.existsSync(snap), `missing snapshot ${snap}: run with UPDATE_SNAPSHOTS=1`);
    assert.strictEqual(got, fs.readFileSync(snap, 'utf8'));
    // No token of an example may be scoped invalid.
    assert.ok(!/invalid\./.test(got), `invalid scopes in ${file}`);
  });
}
