#!/usr/bin/env bash
# Hostile inputs, files and disks against the command-line tools (issue: hardening). One ctest per
# case: cli_cases.sh BIN_DIR CASE. Exit 0 passes, 77 skips (a case that needs root), else fails.
set -uo pipefail
bin=$1 case=$2
work=$(mktemp -d)
cleanup() {
  [ -n "${mounted:-}" ] && umount "$mounted" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
cd "$work"
tl=$bin/tl tlvm=$bin/tlvm
fail() { echo "FAIL $case: $*"; exit 1; }
# run CMD...: stdout in out, stderr in err, the status in $code. Never a signal or a hang.
run() {
  timeout 60 "$@" > out 2> err
  code=$?
  [ $code -lt 124 ] || { cat err | head -20; fail "'$*' exited $code (a crash or a hang)"; }
}
expect_code() { [ "$code" = "$1" ] || { head -c 2000 err; fail "exit $code, expected $1"; }; }
expect_err() { grep -q -- "$1" err || { head -c 2000 err; fail "stderr lacks '$1'"; }; }
mode_of() { stat -c %a "$1"; }

case $case in
# --- 1. element counts that overflow, the per-tensor limit -----------------------------------------
huge_tensor_static)
  printf 'let z = zeros(3, 6148914691236517206)\nprint(transpose(z))\n' > p.tl
  run "$tl" check p.tl; expect_code 1; expect_err "p.tl:1:9: error\[E0419\]"
  printf 'print(zeros(4294967296, 4294967296))\n' > q.tl
  run "$tl" run q.tl; expect_code 1; expect_err "E0419"
  printf 'let n = 6148914691236517206\nprint(reshape(zeros(2, 3), [n, n, -1]))\n' > r.tl
  run "$tl" check r.tl; expect_code 1; expect_err "E0419"
  printf 'print(9223372036854775807 * 2 + 1)\n' > s.tl
  run "$tl" run s.tl; expect_code 1; expect_err "s.tl:1:27: runtime error: integer overflow in \*"
  ;;
huge_tensor_runtime)
  # Sizes the checker cannot see: the run-time limit, positioned, for both tools.
  printf 'fn big(n: int) {\n  let z = zeros(3, n)\n  print(z[0, 0:4])\n}\nbig(6148914691236517206)\n' > p.tl
  run "$tl" run p.tl; expect_code 1; expect_err "p.tl:2:11: runtime error: a tensor of shape \[3, 6148914691236517206\] is too large"
  run "$tl" compile p.tl -o p.tlbc; expect_code 0
  run "$tlvm" p.tlbc; expect_code 1; expect_err "too large"
  printf 'fn big(n: int) { print(reshape(zeros(2, 3), [n, n, -1])) }\nbig(4294967296)\n' > q.tl
  run "$tl" run q.tl; expect_code 1; expect_err "too large"
  ;;
huge_tensor_model)
  # A 0-byte tensor whose shape passes the reader's checks: [0, 3, 6148914691236517206].
  python3 - <<'EOF'
import json, struct
h = json.dumps({"t": {"dtype": "F16", "shape": [0, 3, 6148914691236517206], "data_offsets": [0, 0]}}).encode()
h += b" " * ((8 - len(h) % 8) % 8)
open("m.safetensors", "wb").write(struct.pack("<Q", len(h)) + h)
EOF
  printf 'let m = load_model("m.safetensors")\nprint(sum(m.get_tensor("t"), dim: 0))\n' > p.tl
  run "$tl" run p.tl; expect_code 1; expect_err "too large"
  ;;
# --- 2, 3. writers -------------------------------------------------------------------------------
compile_special_targets)
  printf 'print(1)\n' > p.tl
  run "$tl" compile p.tl -o /dev/null; expect_code 0
  [ -c /dev/null ] || fail "/dev/null is no longer a character device"
  run "$tl" compile p.tl -o /dev/full; expect_code 1; expect_err "No space left on device"
  mkfifo fifo
  (cat fifo > from_fifo) &
  run "$tl" compile p.tl -o fifo; expect_code 0
  wait
  [ -p fifo ] || fail "the FIFO was replaced"
  [ "$(head -c 4 from_fifo)" = TLBC ] || fail "nothing came through the FIFO"
  mkdir d
  run "$tl" compile p.tl -o d; expect_code 1; expect_err "is a directory"
  ;;
compile_symlink_mode_tmp)
  printf 'print(1)\n' > p.tl
  echo old > real.tlbc && chmod 640 real.tlbc && ln -s real.tlbc link.tlbc
  echo "my own file" > out.tlbc.tmp
  run "$tl" compile p.tl -o link.tlbc; expect_code 0
  [ -L link.tlbc ] || fail "the symlink was replaced"
  [ "$(head -c 4 real.tlbc)" = TLBC ] || fail "the symlink's target was not written"
  [ "$(mode_of real.tlbc)" = 640 ] || fail "mode $(mode_of real.tlbc), expected 640"
  run "$tl" compile p.tl -o out.tlbc; expect_code 0
  [ "$(cat out.tlbc.tmp)" = "my own file" ] || fail "PATH.tmp was consumed"
  ln -s /nonexistent/victim out2.tlbc.tmp
  run "$tl" compile p.tl -o out2.tlbc; expect_code 0
  [ "$(ls -A | grep -c '^\.')" = 0 ] || fail "a temporary file was left: $(ls -A)"
  ;;
compile_onto_source)
  printf 'print(1)\n' > a.tl
  cp a.tl keep.tl
  run "$tl" compile a.tl -o a.tl; expect_code 1; expect_err "would overwrite the source file"
  ln -s a.tl alias.tlbc
  run "$tl" compile a.tl -o alias.tlbc; expect_code 1; expect_err "would overwrite the source file"
  printf 'import "b.tl"\nprint(f())\n' > m.tl && printf 'fn f() { 1 }\n' > b.tl
  run "$tl" compile m.tl -o b.tl; expect_code 1; expect_err "would overwrite the source file"
  cmp -s a.tl keep.tl || fail "the source was overwritten"
  grep -q "fn f" b.tl || fail "the imported source was overwritten"
  ;;
compile_full_disk)
  # A real full file system, where one can be mounted (root); the FileOps seam covers the rest.
  [ "$(id -u)" = 0 ] || exit 77
  mkdir mnt && mount -t tmpfs -o size=64k tmpfs mnt 2>/dev/null || exit 77
  mounted=$work/mnt
  python3 -c "print('let x = \"' + 'a' * 40000 + '\"')" > big.tl
  echo 'print(1)' > small.tl
  run "$tl" compile small.tl -o mnt/out.tlbc; expect_code 0
  cp mnt/out.tlbc before.tlbc
  head -c 30000 /dev/zero > mnt/filler
  run "$tl" compile big.tl -o mnt/out.tlbc; expect_code 1; expect_err "No space left on device"
  cmp -s mnt/out.tlbc before.tlbc || fail "the old bytecode was damaged"
  [ "$(ls -A mnt | sort | tr '\n' ' ')" = "filler out.tlbc " ] || fail "left behind: $(ls -A mnt)"
  ;;
fmt_links_and_modes)
  printf 'let   x=1\n' > a.tl
  ln a.tl b.tl
  run "$tl" fmt a.tl; expect_code 0
  [ "$(cat b.tl)" = "let x = 1" ] || fail "the hard link did not see the new content: $(cat b.tl)"
  [ "$(stat -c %h a.tl)" = 2 ] || fail "the hard link was broken"
  printf 'let   y=2\n' > ro.tl && chmod 444 ro.tl
  run "$tl" fmt ro.tl; expect_code 1; expect_err "read-only"
  [ "$(cat ro.tl)" = "let   y=2" ] || fail "a read-only file was rewritten"
  printf 'let   z=3\n' > real.tl && chmod 600 real.tl && ln -s real.tl sym.tl
  run "$tl" fmt sym.tl; expect_code 0
  [ -L sym.tl ] && [ "$(cat real.tl)" = "let z = 3" ] || fail "fmt did not follow the symlink"
  [ "$(mode_of real.tl)" = 600 ] || fail "mode $(mode_of real.tl), expected 600"
  ;;
save_model_modes)
  printf 'save_model({"w": ones(2)}, "m.safetensors")\nsave_model({"w": ones(2)}, "/dev/null")\n' > p.tl
  touch m.safetensors && chmod 600 m.safetensors
  run "$tl" run p.tl; expect_code 0
  [ "$(mode_of m.safetensors)" = 600 ] || fail "mode $(mode_of m.safetensors), expected 600"
  [ -c /dev/null ] || fail "/dev/null replaced"
  printf 'save_model({"w": ones(2)}, "link.safetensors")\n' > q.tl
  ln -s m.safetensors link.safetensors
  run "$tl" run q.tl; expect_code 0
  [ -L link.safetensors ] || fail "the symlink was replaced"
  printf 'save_model({"\377": ones(2)}, "bad.safetensors")\n' > r.tl  # a raw 0xFF byte
  run "$tl" run r.tl; expect_code 1; expect_err "r.tl:1:1: runtime error: cannot save 'bad.safetensors': .*UTF-8"
  ;;
# --- 4. a mapped file truncated while it is read -----------------------------------------------------
sigbus)
  # The program maps the model, then blocks printing into a pipe nobody reads yet; once the pipe
  # is full (so the program is surely past load_model) the file is truncated, the pipe drained,
  # and the program reads the tensor: it must name the file, keep its output and exit 1.
  for tool in run tlvm; do
    python3 - "$tl" "$tlvm" "$tool" <<'EOF'
import fcntl, json, os, struct, subprocess, sys, termios, time
tl, tlvm, tool = sys.argv[1:]
n = 1 << 20
h = json.dumps({"w": {"dtype": "F16", "shape": [n], "data_offsets": [0, 2 * n]}}).encode()
h += b" " * ((8 - len(h) % 8) % 8)
open("m.safetensors", "wb").write(struct.pack("<Q", len(h)) + h + b"\0" * (2 * n))
open("p.tl", "w").write('let m = load_model("m.safetensors")\n'
                        'for i in range(20000) { print("line", i) }\n'
                        'print(sum(m.get_tensor("w")))\n')
cmd = [tl, "run", "p.tl"]
if tool == "tlvm":
    subprocess.run([tl, "compile", "p.tl", "-o", "p.tlbc"], check=True)
    cmd = [tlvm, "p.tlbc"]
r, w = os.pipe()
p = subprocess.Popen(cmd, stdout=w, stderr=subprocess.PIPE)
os.close(w)
deadline = time.time() + 60
while struct.unpack("i", fcntl.ioctl(r, termios.FIONREAD, b"\0\0\0\0"))[0] < 32768:
    if p.poll() is not None or time.time() > deadline:
        sys.exit("FAIL: the program ended or stalled before filling the pipe")
    time.sleep(0.02)
os.truncate("m.safetensors", 100)
out = b""
while chunk := os.read(r, 1 << 16):
    out += chunk
err = p.stderr.read().decode()
code = p.wait()
if code != 1 or "m.safetensors' changed while it was in use" not in err:
    sys.exit(f"FAIL: exit {code}, stderr: {err}")
lines = out.count(b"\n")
if lines != 20000 or not out.endswith(b"line 19999\n"):
    sys.exit(f"FAIL: printed output lost: {lines} lines")
EOF
    [ $? = 0 ] || fail "$tool"
  done
  ;;
# --- 5. depth: one limit for every tool --------------------------------------------------------------
deep_chains)
  for kind in and plus abs index call paren; do
    python3 - "$kind" <<'EOF'
import sys
k, n = sys.argv[1], 50000
body = {"and": "true" + " && true" * n, "plus": "t" + " + t" * n, "abs": "t" + ".abs()" * n,
        "index": "t" + "[0]" * n, "call": "f" + "(1)" * n, "paren": "(" * n + "1" + ")" * n}[k]
open("p.tl", "w").write("let t = ones(2)\nlet x = " + body + "\n")
EOF
    for cmd in check run compile lint fmt; do
      run "$tl" $cmd p.tl; expect_code 1; expect_err "p.tl:2:.*E0208.*nesting too deep"
    done
    run "$tl" fmt - < p.tl; expect_code 1; expect_err "E0208"
  done
  ;;
lsp_deep_chains)
  # Formatting and semantic tokens of chains far past the limit: answers, not a crash; and
  # semantic tokens in linear time (20,000 `&&` terms on one line took 4.6 s).
  python3 - "$bin/tl-lsp" <<'EOF'
import json, subprocess, sys, time
lsp = subprocess.Popen([sys.argv[1]], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                       stderr=subprocess.DEVNULL)
def send(msg):
    body = json.dumps(msg).encode()
    lsp.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
    lsp.stdin.flush()
def receive(want_id):
    while True:
        length = 0
        while (line := lsp.stdout.readline().strip()):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        if not length:
            sys.exit("FAIL: the server closed the connection (crashed?)")
        msg = json.loads(lsp.stdout.read(length))
        if msg.get("id") == want_id:
            return msg
send({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {"capabilities": {}}})
receive(0)
send({"jsonrpc": "2.0", "method": "initialized", "params": {}})
texts = {"member": "let t = ones(2)\nlet x = t" + ".abs()" * 25000 + "\n",
         "and": "let x = true" + " && true" * 100000 + "\n",
         "shallow": "let x = [" + ", ".join(["true && true"] * 20000) + "]\n"}
for n, (name, text) in enumerate(texts.items()):
    uri = "file:///tmp/%s.tl" % name
    send({"jsonrpc": "2.0", "method": "textDocument/didOpen",
          "params": {"textDocument": {"uri": uri, "languageId": "tl", "version": 1, "text": text}}})
    start = time.time()
    send({"jsonrpc": "2.0", "id": 10 + n, "method": "textDocument/semanticTokens/full",
          "params": {"textDocument": {"uri": uri}}})
    tokens = receive(10 + n)
    if "result" not in tokens or time.time() - start > 20:
        sys.exit("FAIL: semantic tokens of %s: %s after %.1f s" % (name, str(tokens)[:200], time.time() - start))
    send({"jsonrpc": "2.0", "id": 20 + n, "method": "textDocument/formatting",
          "params": {"textDocument": {"uri": uri}, "options": {"tabSize": 4, "insertSpaces": True}}})
    receive(20 + n)  # an answer (edits, or an error for a file with syntax errors), no crash
send({"jsonrpc": "2.0", "id": 99, "method": "shutdown"})
receive(99)
send({"jsonrpc": "2.0", "method": "exit"})
if lsp.wait(timeout=30) != 0:
    sys.exit("FAIL: tl-lsp exited %d" % lsp.returncode)
EOF
  [ $? = 0 ] || fail "tl-lsp"
  ;;
deep_lists_print)
  printf 'let l = [1]\nl[0] = l\nprint(l)\nlet m = {"k": 1}\nm["k"] = m\nprint(m)\n' > p.tl
  run "$tl" run p.tl; expect_code 0
  [ "$(cat out)" = "$(printf '[[...]]\n{"k": {...}}')" ] || fail "printed: $(cat out)"
  ;;
# --- 7. a megabyte-long unknown name ---------------------------------------------------------------
long_unknown_name)
  python3 -c "print('let x = ' + 'q' * 1000000)" > p.tl
  for cmd in check run compile lint; do
    SECONDS=0; run "$tl" $cmd p.tl; expect_code 1
    [ $cmd = lint ] || expect_err "E0301"
    [ $SECONDS -lt 10 ] || fail "$cmd took $SECONDS s"
  done
  ;;
# --- 10. internal errors and false success ---------------------------------------------------------
source_limits)
  run "$tl" check /dev/zero; expect_code 2; expect_err "larger than 16 MiB"
  run "$tl" fmt - < /dev/zero; expect_code 2; expect_err "larger than 16 MiB"
  mkdir d
  run "$tl" check d; expect_code 2; expect_err "is a directory"
  run "$tl" check missing.tl; expect_code 2; expect_err "no such file"
  ;;
disasm_errors)
  mkdir d
  run "$tl" disasm d; expect_code 2; expect_err "is a directory"
  run "$tl" disasm missing.tlbc; expect_code 2; expect_err "no such file"
  run "$tlvm" d; expect_code 1; expect_err "is a directory"
  ;;
stdout_errors)
  printf 'print(1)\n' > p.tl
  "$tl" run p.tl > /dev/full 2> err; code=$?
  expect_code 1; expect_err "standard output"
  "$tl" compile p.tl -o p.tlbc
  "$tlvm" p.tlbc > /dev/full 2> err; code=$?
  expect_code 1; expect_err "standard output"
  "$tl" run p.tl >&- 2> err; code=$?
  expect_code 1; expect_err "standard output"
  ;;
limits_positioned)
  # Every limit that remains is reported by `tl check` as by `tl compile` (check lowers too).
  python3 -c "print('fn f(' + ', '.join('a%d: int' % i for i in range(300)) + ') { 1 }')" > params.tl
  run "$tl" compile params.tl -o x.tlbc; expect_code 1; expect_err "params.tl:1:4: error\[E0701\].*300 parameters"
  run "$tl" check params.tl; expect_code 1; expect_err "params.tl:1:4: error\[E0701\].*300 parameters"
  python3 -c "
for i in range(70000): print('print(%d.5)' % i)" > consts.tl
  run "$tl" compile consts.tl -o x.tlbc; expect_code 1; expect_err "consts.tl:.*E0701.*distinct constants"
  run "$tl" check consts.tl; expect_code 1; expect_err "consts.tl:65536:1: error\[E0701\].*distinct constants"
  python3 -c "
for i in range(66000): print('let v%d = %d' % (i, i % 7))" > globals.tl
  run "$tl" check globals.tl; expect_code 1; expect_err "globals.tl:65665:1: error\[E0701\].*top-level variables"
  run "$tl" run globals.tl; expect_code 1; expect_err "globals.tl:65665:1: error\[E0701\].*top-level variables"
  python3 -c "
e = '1'
for i in range(300): e = 'id(0, %s)' % e
print('fn id(a: int, b: int) -> int {\\n  return b\\n}\\nprint(%s)' % e)" > temps.tl
  run "$tl" check temps.tl; expect_code 1; expect_err "temps.tl:.*error\[E0701\].*registers at once"
  run "$tl" run temps.tl; expect_code 1; expect_err "temps.tl:.*error\[E0701\].*registers at once"
  printf 'print(1.%s)\nprint(%s.0)\n' "$(printf '0%.0s' $(seq 400))" "$(printf '9%.0s' $(seq 400))" > f.tl
  run "$tl" run f.tl; expect_code 0
  [ "$(cat out)" = "$(printf '1.0\ninf')" ] || fail "printed: $(cat out)"
  printf 'let m = load_model("a\\0b.safetensors")\n' > nul.tl
  run "$tl" run nul.tl; expect_code 1; expect_err "NUL"
  ;;
many_locals)
  # 5000 locals in a function and in a block of the script: check, run, compile + tlvm agree.
  for where in fn block; do
    python3 -c "
import sys
fn = sys.argv[1] == 'fn'
print('fn f(x: int) -> int {' if fn else 'if true {\\n  let x = 1')
for i in range(5000): print('  let a%d = x + %d' % (i, i))
print('  let t = 0')
print('  for i in range(4) { t = t + a4999 + a300 }')
print('  return t + a0\\n}\\nprint(f(1))' if fn else '  print(t + a0)\\n}')" $where > $where.tl
    run "$tl" check $where.tl; expect_code 0
    run "$tl" run $where.tl; expect_code 0
    [ "$(cat out)" = "21205" ] || fail "$where: printed $(cat out)"
    run "$tl" compile $where.tl -o $where.tlbc; expect_code 0
    run "$tlvm" $where.tlbc; expect_code 0
    [ "$(cat out)" = "21205" ] || fail "$where: tlvm printed $(cat out)"
    run "$tl" disasm $where.tlbc; expect_code 0
    grep -q "spill slots" out && grep -q "GETSPILL" out && grep -q "SETSPILL" out || fail "$where: disasm lacks spills"
  done
  ;;
*)
  fail "unknown case"
  ;;
esac
echo "ok $case"
