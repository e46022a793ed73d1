// Sessions against the real tl-lsp process with the checker (compiler/sema) behind the Analysis
// seam: shape diagnostics with related information, hover types, completion of model tensor names
// and property paths from file headers (safetensors and GGUF fixtures in data/models), signature
// help, definition into imported files, references, rename, inlay hints, quick fixes, and a model
// file changed on disk being re-read.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include <gtest/gtest.h>

#include "tests/lsp/lsp_client.h"

namespace tl::lsp::test {
namespace {

namespace fs = std::filesystem;

const std::string kDataDir = std::string(TL_TESTS_DIR) + "/lsp/data";
// Beside data/models, so that load_model("models/...") resolves; the file itself need not exist.
const std::string kUri = "file://" + kDataDir + "/checked.tl";

std::string read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::ostringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

void write_file(const fs::path& path, const std::string& text) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f << text;
}

json pos(int64_t line, int64_t character) {
  return {{"line", line}, {"character", character}};
}
json range(int64_t l0, int64_t c0, int64_t l1, int64_t c1) {
  return {{"start", pos(l0, c0)}, {"end", pos(l1, c1)}};
}
json at(int64_t line, int64_t character, const std::string& uri = kUri) {
  return {{"textDocument", {{"uri", uri}}}, {"position", pos(line, character)}};
}

json diagnostics_for(LspClient& c, int64_t version, const std::string& uri = kUri) {
  auto n = c.wait_notification("textDocument/publishDiagnostics", [&](const json& m) {
    return m["params"]["uri"] == uri && m["params"]["version"] == version;
  });
  if (!n) return {{"timeout", true}};
  return (*n)["params"]["diagnostics"];
}

void change(LspClient& c, int64_t version, const std::string& text, const std::string& uri = kUri) {
  c.notify("textDocument/didChange", {{"textDocument", {{"uri", uri}, {"version", version}}},
                                      {"contentChanges", {{{"text", text}}}}});
}

std::string hover_text(LspClient& c, int64_t line, int64_t character,
                       const std::string& uri = kUri) {
  json h = c.call("textDocument/hover", at(line, character, uri))["result"];
  return h.is_object() ? h["contents"]["value"].get<std::string>() : std::string("<none>");
}

std::map<std::string, json> completion(LspClient& c, int64_t line, int64_t character) {
  json r = c.call("textDocument/completion", at(line, character))["result"];
  std::map<std::string, json> items;
  for (const auto& i : r["items"]) items[i["label"]] = i;
  return items;
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

void finish(LspClient& c) {
  c.call("shutdown");
  c.notify("exit");
  EXPECT_EQ(c.wait_exit(), 0);
}

// A temporary directory, removed at the end of the test.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "tl_lsp_test_XXXXXX").string();
    path_ = mkdtemp(tmpl.data()) ? fs::path(tmpl) : fs::path();
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

// --- the guide's program ------------------------------------------------------------------------

// The checker's features on the guide's program, with lint findings turned off through
// initializationOptions (the ja text's `function` draws W0607; lint_session_test covers lint).
class Guide : public ::testing::Test {
 protected:
  void SetUp() override {
    c.initialize(json::object(), {{"lint", false}});
    text = read_file(kDataDir + "/guide_linear.ja.tl");
    c.open(kUri, text);
    ASSERT_EQ(diagnostics_for(c, 1), json::array());
  }
  void TearDown() override { finish(c); }
  LspClient c{{"--quiet", "--debounce-ms=10"}};
  std::string text;
};

TEST_F(Guide, ShapeErrorAtTheRightRangeNamingBothSides) {
  // W becomes 2x2: forward(X, W, b) binds D_in = 3 from X but W gives 2.
  std::string bad = text;
  const std::string rows = "    [0.3, 0.4],\n    [0.5, 0.6]\n";
  ASSERT_NE(bad.find(rows), std::string::npos);
  bad.replace(bad.find(rows), rows.size(), "    [0.3, 0.4]\n");
  change(c, 2, bad);
  json d = diagnostics_for(c, 2);
  ASSERT_EQ(d.size(), 1u) << d.dump();
  // `let output = forward(X, W, b)` is now line 27 (0-based); W at columns 24..25.
  EXPECT_EQ(d[0]["range"], range(27, 24, 27, 25)) << d.dump();
  EXPECT_EQ(d[0]["severity"], 1);
  EXPECT_EQ(d[0]["code"], "E0405");
  std::string msg = d[0]["message"];
  EXPECT_TRUE(contains(msg, "3 (from `X`)")) << msg;
  EXPECT_TRUE(contains(msg, "2 (from `W`)")) << msg;
  // Notes become relatedInformation: where D_in was bound, and where both sizes come from.
  ASSERT_TRUE(d[0]["relatedInformation"].is_array()) << d.dump();
  std::set<std::string> notes;
  for (const auto& r : d[0]["relatedInformation"]) {
    EXPECT_EQ(r["location"]["uri"], kUri);
    notes.insert(r["message"].get<std::string>() + " @" + r["location"]["range"].dump());
  }
  EXPECT_TRUE(notes.count("`D_in` = 3 bound here @" + range(27, 21, 27, 22).dump())) << d.dump();
  EXPECT_TRUE(notes.count("2 comes from `W` here @" + range(18, 4, 18, 5).dump())) << d.dump();
  // Fixed again: the diagnostics clear.
  change(c, 3, text);
  EXPECT_EQ(diagnostics_for(c, 3), json::array());
}

TEST_F(Guide, HoverShowsTypesAndShapes) {
  EXPECT_TRUE(contains(hover_text(c, 28, 6), "output: float16[4, 2]"));    // let output = ...
  EXPECT_TRUE(contains(hover_text(c, 32, 19), "output: float16[4, 2]"));   // print(.., output)
  EXPECT_TRUE(contains(hover_text(c, 5, 19), "input: float16[N, D_in]"));  // inside forward
  EXPECT_TRUE(contains(hover_text(c, 6, 21), "bias: float16[D_out]"));
  // The callee: the signature, then what this call binds.
  std::string f = hover_text(c, 28, 15);
  EXPECT_TRUE(contains(f,
                       "fn forward(input: float16[N, D_in], weights: float16[D_in, D_out], "
                       "bias: float16[D_out]) -> float16[N, D_out]"))
      << f;
  EXPECT_TRUE(contains(f, "returns `float16[4, 2]` with `N = 4`, `D_in = 3`, `D_out = 2`")) << f;
  // A builtin: its signature and doc from builtins.def.
  std::string p = hover_text(c, 31, 2);
  EXPECT_TRUE(
      contains(p, "print(values: any..., end: string = \"\\n\", stderr: bool = false) -> none"))
      << p;
  EXPECT_TRUE(contains(hover_text(c, 31, 31), ".shape: Shape [4, 2]")) << hover_text(c, 31, 31);
  // A size variable of forward's signature.
  std::string n = hover_text(c, 1, 32);  // `N` in `input: float16[N, D_in]`
  EXPECT_TRUE(contains(n, "size variable N") && contains(n, "`forward`")) << n;
}

TEST_F(Guide, CompletionOffersNamesInScopeWithTypes) {
  auto top = completion(c, 29, 0);
  ASSERT_TRUE(top.count("output"));
  EXPECT_EQ(top["output"]["detail"], "float16[4, 2]");
  EXPECT_EQ(top["W"]["detail"], "float16[3, 2]");
  EXPECT_TRUE(top.count("forward") && top.count("softmax") && top.count("let"));
  EXPECT_FALSE(top.count("weights"));  // a parameter of forward
  auto in = completion(c, 6, 4);
  ASSERT_TRUE(in.count("weights"));
  EXPECT_EQ(in["weights"]["detail"], "float16[D_in, D_out]");
  EXPECT_EQ(in["output"]["detail"], "float16[N, D_out]");  // forward's own `output` wins
  EXPECT_TRUE(in.count("X"));  // function bodies see every top-level name
  // Nothing inside a comment or an ordinary string (`"` is a trigger character).
  EXPECT_TRUE(completion(c, 4, 12).empty());   // `    // 線形変換...`
  EXPECT_TRUE(completion(c, 32, 10).empty());  // print("Out|put:", output)
  // Before the top-level lets: functions (hoisted) but not the variables declared later.
  auto first = completion(c, 0, 0);
  EXPECT_TRUE(first.count("forward"));
  EXPECT_FALSE(first.count("output") || first.count("X"));
}

TEST_F(Guide, SignatureHelpForUserFunctionsAndBuiltins) {
  json s = c.call("textDocument/signatureHelp", at(28, 27))["result"];  // after `forward(X, W, `
  ASSERT_TRUE(s.is_object()) << s.dump();
  EXPECT_EQ(s["activeParameter"], 2);
  EXPECT_EQ(s["signatures"][0]["parameters"][2]["label"], "bias: float16[D_out]");
  json p = c.call("textDocument/signatureHelp", at(32, 17))["result"];  // print("Output:", |
  ASSERT_TRUE(p.is_object()) << p.dump();
  EXPECT_EQ(p["signatures"][0]["label"],
            "print(values: any..., end: string = \"\\n\", stderr: bool = false) -> none");
}

TEST_F(Guide, DefinitionReferencesAndRename) {
  json d = c.call("textDocument/definition", at(5, 19))["result"];  // `input` in the body
  ASSERT_EQ(d.size(), 1u) << d.dump();
  EXPECT_EQ(d[0]["range"], range(1, 17, 1, 22));
  json refs =
      c.call("textDocument/references", {{"textDocument", {{"uri", kUri}}},
                                         {"position", pos(28, 5)},
                                         {"context", {{"includeDeclaration", true}}}})["result"];
  std::vector<json> ranges;
  for (const auto& r : refs) ranges.push_back(r["range"]);
  // The top-level `output` only: its declaration and its two uses (not forward's local one).
  EXPECT_EQ(ranges,
            (std::vector<json>{range(28, 4, 28, 10), range(31, 23, 31, 29), range(32, 17, 32, 23)}))
      << refs.dump();
  json edit = c.call(
      "textDocument/rename",
      {{"textDocument", {{"uri", kUri}}}, {"position", pos(2, 19)}, {"newName", "w"}})["result"];
  ASSERT_TRUE(edit.is_object()) << edit.dump();
  json changes = edit["changes"][kUri];
  ASSERT_EQ(changes.size(), 2u) << edit.dump();  // the parameter and its use in `input @ weights`
  EXPECT_EQ(changes[0]["range"], range(2, 17, 2, 24));
  EXPECT_EQ(changes[1]["range"], range(5, 25, 5, 32));
  EXPECT_EQ(changes[1]["newText"], "w");
  // A builtin cannot be renamed.
  EXPECT_TRUE(
      c.call("textDocument/rename",
             {{"textDocument", {{"uri", kUri}}}, {"position", pos(31, 2)}, {"newName", "p"}})
          .contains("error"));
}

TEST_F(Guide, InlayHintsShowInferredShapes) {
  json h = c.call("textDocument/inlayHint",
                  {{"textDocument", {{"uri", kUri}}}, {"range", range(0, 0, 40, 0)}})["result"];
  std::map<std::string, std::string> at_pos;
  for (const auto& x : h) at_pos[x["position"].dump()] = x["label"];
  EXPECT_EQ(at_pos[pos(5, 14).dump()], ": float16[N, D_out]");  // forward's `let output`
  EXPECT_EQ(at_pos[pos(10, 5).dump()], ": float16[4, 3]");      // X
  EXPECT_EQ(at_pos[pos(18, 5).dump()], ": float16[3, 2]");      // W
  EXPECT_EQ(at_pos[pos(28, 10).dump()], ": float16[4, 2]");     // output
  // Only the visible range.
  json some = c.call("textDocument/inlayHint",
                     {{"textDocument", {{"uri", kUri}}}, {"range", range(17, 0, 24, 0)}})["result"];
  ASSERT_EQ(some.size(), 1u) << some.dump();
  EXPECT_EQ(some[0]["label"], ": float16[3, 2]");
}

TEST_F(Guide, DocumentSymbolsFromTheChecker) {
  json s = c.call("textDocument/documentSymbol", {{"textDocument", {{"uri", kUri}}}})["result"];
  ASSERT_EQ(s.size(), 5u) << s.dump();
  EXPECT_EQ(s[0]["name"], "forward");
  EXPECT_EQ(s[0]["detail"],
            "forward(input: float16[N, D_in], weights: float16[D_in, D_out], bias: "
            "float16[D_out]) -> float16[N, D_out]");
  EXPECT_EQ(s[4]["name"], "output");
  EXPECT_EQ(s[4]["detail"], "float16[4, 2]");
}

TEST_F(Guide, QuickFixForAMisspelledName) {
  std::string typo = text;
  typo.replace(typo.find("print(\"Output:\", output)"), 24, "print(\"Output:\", outptu)");
  change(c, 2, typo);
  json d = diagnostics_for(c, 2);
  ASSERT_EQ(d.size(), 1u) << d.dump();
  EXPECT_EQ(d[0]["code"], "E0301");
  json actions = c.call("textDocument/codeAction", {{"textDocument", {{"uri", kUri}}},
                                                    {"range", range(32, 18, 32, 18)},
                                                    {"context", {{"diagnostics", d}}}})["result"];
  ASSERT_EQ(actions.size(), 1u) << actions.dump();
  EXPECT_EQ(actions[0]["kind"], "quickfix");
  EXPECT_EQ(actions[0]["isPreferred"], true);
  EXPECT_EQ(actions[0]["title"], "Change `outptu` to `output`");
  json edit = actions[0]["edit"]["changes"][kUri];
  ASSERT_EQ(edit.size(), 1u);
  EXPECT_EQ(edit[0]["range"], range(32, 17, 32, 23));
  EXPECT_EQ(edit[0]["newText"], "output");
  EXPECT_EQ(actions[0]["diagnostics"][0]["code"], "E0301");
  // Nothing to fix elsewhere.
  EXPECT_EQ(
      c.call("textDocument/codeAction", {{"textDocument", {{"uri", kUri}}},
                                         {"range", range(10, 0, 10, 0)},
                                         {"context", {{"diagnostics", json::array()}}}})["result"],
      json::array());
}

// --- model files --------------------------------------------------------------------------------

const char* kModelProgram =
    "let model = load_model(\"models/linear.safetensors\")\n"  // 0
    "let q = load_model(\"models/quant_types.gguf\")\n"        // 1
    "let w = model.get_tensor(\"layer.0.weight\")\n"           // 2
    "let v = get_tensor(q, \"w.Q4_0\")\n"                      // 3
    "let z = model.layer[0].weight\n"                          // 4
    "let u = q.get_tensor(\"w.Q4_O\")\n";                      // 5

class Models : public ::testing::Test {
 protected:
  void SetUp() override {
    c.initialize();
    c.open(kUri, kModelProgram);
  }
  void TearDown() override { finish(c); }
  LspClient c{{"--quiet", "--debounce-ms=10"}};
};

TEST_F(Models, TensorNameCompletionFromSafetensorsAndGgufHeaders) {
  json d = diagnostics_from(diagnostics_for(c, 1), "tl");
  ASSERT_EQ(d.size(), 1u) << d.dump();  // only the misspelled w.Q4_O (and unused names: lint)
  // Inside model.get_tensor("|layer.0.weight"): the safetensors names, replacing the whole string.
  auto st = completion(c, 2, 26);
  ASSERT_EQ(st.size(), 2u);
  EXPECT_EQ(st["layer.0.weight"]["detail"], "F16 [3, 2]");
  EXPECT_EQ(st["layer.0.weight"]["textEdit"]["range"], range(2, 26, 2, 40));
  EXPECT_EQ(st["layer.0.bias"]["textEdit"]["newText"], "layer.0.bias");
  // get_tensor(q, "|..."): the GGUF's names, quantized types included.
  auto gg = completion(c, 3, 23);
  ASSERT_EQ(gg.size(), 15u);
  EXPECT_EQ(gg["w.Q4_0"]["detail"], "Q4_0 [3, 256]");
  EXPECT_TRUE(contains(gg["w.Q4_K"]["documentation"]["value"], "quantized"));
  // While typing: an unterminated string on a new line.
  change(c, 2, std::string(kModelProgram) + "let j = q.get_tensor(\"w.Q\n");
  auto typing = completion(c, 6, 25);
  EXPECT_EQ(typing.size(), 15u);
  EXPECT_EQ(typing["w.Q8_0"]["textEdit"]["range"], range(6, 22, 6, 25));
}

TEST_F(Models, MemberCompletionWalksThePropertyPath) {
  diagnostics_for(c, 1);
  change(c, 2, std::string(kModelProgram) + "let k = model.\n");
  auto root = completion(c, 6, 14);
  ASSERT_TRUE(root.count("layer")) << json(root).dump();
  EXPECT_EQ(root["layer"]["detail"], "layer[...]");
  EXPECT_TRUE(root.count("get_tensor"));  // builtins that take a Model, as methods
  EXPECT_FALSE(root.count("softmax"));
  change(c, 3, std::string(kModelProgram) + "let j = model.layer[0].\n");
  auto leaf = completion(c, 6, 23);
  ASSERT_TRUE(leaf.count("weight") && leaf.count("bias")) << json(leaf).dump();
  EXPECT_EQ(leaf["weight"]["detail"], "F16 [3, 2]");
  // A prefix is a value of its own names: `model.layer[0].get_tensor("weight")`.
  EXPECT_TRUE(leaf.count("get_tensor"));
  EXPECT_FALSE(leaf.count("softmax"));
  // An index known only at run time (`layer[i]`) completes what every layer has.
  change(c, 5,
         std::string(kModelProgram) + "for i in range(1) {\n    let j = model.layer[i].\n}\n");
  auto any = completion(c, 7, 27);
  ASSERT_TRUE(any.count("weight") && any.count("bias")) << json(any).dump();
  // On a tensor: `shape` with its static value, and the tensor builtins as methods.
  change(c, 4, std::string(kModelProgram) + "let s = w.\n");
  auto t = completion(c, 6, 10);
  ASSERT_TRUE(t.count("shape") && t.count("softmax")) << json(t).dump();
  EXPECT_EQ(t["shape"]["detail"], "Shape [3, 2]");
}

TEST_F(Models, HoverOnTensorNamesAndFixForAMisspelledOne) {
  diagnostics_for(c, 1);
  std::string st = hover_text(c, 2, 30);
  EXPECT_TRUE(contains(st, "**`layer.0.weight`** in `linear.safetensors`")) << st;
  EXPECT_TRUE(contains(st, "shape: [3, 2]") && contains(st, "size: 12 bytes")) << st;
  std::string q = hover_text(c, 3, 25);
  EXPECT_TRUE(contains(q, "dtype: Q4_0 (quantized: blocks of 32 elements in 18 bytes")) << q;
  EXPECT_TRUE(contains(q, "size: 432 bytes")) << q;
  EXPECT_TRUE(contains(hover_text(c, 4, 25), "float16[3, 2]"));  // model.layer[0].weight
  json actions =
      c.call("textDocument/codeAction", {{"textDocument", {{"uri", kUri}}},
                                         {"range", range(5, 24, 5, 24)},
                                         {"context", {{"diagnostics", json::array()}}}})["result"];
  ASSERT_EQ(actions.size(), 1u) << actions.dump();
  EXPECT_EQ(actions[0]["edit"]["changes"][kUri][0]["newText"], "\"w.Q4_0\"");
  EXPECT_EQ(actions[0]["edit"]["changes"][kUri][0]["range"], range(5, 21, 5, 29));
}

TEST(ModelOnDisk, AChangedFileIsReRead) {
  TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  const fs::path model = dir.path() / "m.safetensors";
  const std::string original = read_file(kDataDir + "/models/linear.safetensors");
  write_file(model, original);
  const std::string uri = "file://" + (dir.path() / "main.tl").string();
  LspClient c{{"--quiet", "--debounce-ms=10"}};
  c.initialize();
  c.open(uri, "let m = load_model(\"m.safetensors\")\nlet t = m.get_tensor(\"\")\n");
  diagnostics_for(c, 1, uri);
  auto names = [&] {
    json r = c.call("textDocument/completion", at(1, 22, uri))["result"];
    std::set<std::string> out;
    for (const auto& i : r["items"]) out.insert(i["label"]);
    return out;
  };
  EXPECT_EQ(names(), (std::set<std::string>{"layer.0.bias", "layer.0.weight"}));
  // Same size, new name, new mtime: the header is read again (the document did not change).
  std::string renamed = original;
  renamed.replace(renamed.find("layer.0.bias"), 12, "layer.0.biaz");
  write_file(model, renamed);
  fs::last_write_time(model, fs::last_write_time(model) + std::chrono::seconds(5));
  EXPECT_EQ(names(), (std::set<std::string>{"layer.0.biaz", "layer.0.weight"}));
  // The file watcher's notice re-checks the open document: a tensor named in it disappeared.
  change(c, 2, "let m = load_model(\"m.safetensors\")\nlet t = m.get_tensor(\"layer.0.biaz\")\n",
         uri);
  EXPECT_EQ(diagnostics_from(diagnostics_for(c, 2, uri), "tl"), json::array());
  write_file(model, original);
  fs::last_write_time(model, fs::last_write_time(model) + std::chrono::seconds(10));
  c.notify("workspace/didChangeWatchedFiles",
           {{"changes", {{{"uri", "file://" + model.string()}, {"type", 2}}}}});
  json d = diagnostics_from(diagnostics_for(c, 2, uri), "tl");
  ASSERT_EQ(d.size(), 1u) << d.dump();
  EXPECT_EQ(d[0]["code"], "E0501");
  finish(c);
}

TEST(ModelOnDisk, AFifoNamedAsAModelDoesNotHangTheServer) {
  TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  ASSERT_EQ(mkfifo((dir.path() / "pipe.gguf").c_str(), 0600), 0);
  const std::string uri = "file://" + (dir.path() / "main.tl").string();
  LspClient c{{"--quiet", "--debounce-ms=10"}};
  c.initialize();
  c.open(uri, "let m = load_model(\"pipe.gguf\")\n");
  json d = diagnostics_from(diagnostics_for(c, 1, uri), "tl");
  ASSERT_EQ(d.size(), 1u) << d.dump();
  EXPECT_EQ(d[0]["code"], "E0504");
  EXPECT_TRUE(contains(d[0]["message"], "not a regular file")) << d.dump();
  finish(c);
}

TEST(SemanticTokens, NamesClassifiedByTheCheckersSymbols) {
  LspClient c{{"--quiet", "--debounce-ms=10"}};
  c.initialize();
  // The inner `x` shadows the parameter: the parser alone would call its use a parameter.
  c.open(kUri,
         "fn f(x: int) -> int {\n    if true {\n        let x = 2\n        print(x)\n    }\n"
         "    x\n}\n");
  EXPECT_EQ(diagnostics_from(diagnostics_for(c, 1), "tl"), json::array());
  json data = c.call("textDocument/semanticTokens/full",
                     {{"textDocument", {{"uri", kUri}}}})["result"]["data"];
  std::map<std::string, int64_t> type_at;  // "line:col" -> token type
  int64_t line = 0, col = 0;
  for (size_t i = 0; i + 4 < data.size(); i += 5) {
    line += data[i].get<int64_t>();
    col = data[i].get<int64_t>() ? data[i + 1].get<int64_t>() : col + data[i + 1].get<int64_t>();
    type_at[std::to_string(line) + ":" + std::to_string(col)] = data[i + 3];
  }
  EXPECT_EQ(type_at["3:14"], 2);  // print(x): the local variable
  EXPECT_EQ(type_at["5:4"], 3);   // x: the parameter
  finish(c);
}

// --- programArgs: a document checked with its program's arguments --------------------------

// The model comes from args(): its shapes are known only when the programArgs setting gives the
// document its arguments (a path relative to the workspace root, or absolute).
TEST(ProgramArgs, HoverShowsTheShapesOfTheModelNamedByTheArguments) {
  const std::string program =
      "let a = args()\n"
      "let m = load_model(a[0])\n"
      "let w = m.layer[0].weight\n"
      "let y = w @ ones(5, 5)\n";
  const std::string uri = "file://" + kDataDir + "/from_args.tl";
  LspClient c{{"--quiet", "--debounce-ms=10"}};
  json init = c.call(
      "initialize",
      {{"processId", nullptr},
       {"rootUri", "file://" + kDataDir},
       {"capabilities", json::object()},
       {"initializationOptions",
        {{"lint", false},
         {"programArgs", {{"from_args.tl", {"models/linear.safetensors", "Hello", "16"}}}}}}});
  ASSERT_TRUE(init.contains("result")) << init.dump();
  c.notify("initialized");
  c.open(uri, program);
  // [3, 2] @ [5, 5]: an error found only because the arguments name the file.
  json d = diagnostics_for(c, 1, uri);
  ASSERT_EQ(d.size(), 1u) << d.dump();
  EXPECT_EQ(d[0]["code"], "E0403") << d.dump();
  EXPECT_TRUE(contains(hover_text(c, 2, 4, uri), "w: float16[3, 2]")) << hover_text(c, 2, 4, uri);
  // The same key under settings.tl, absolute, without arguments for this document: unknown.
  c.notify("workspace/didChangeConfiguration",
           {{"settings", {{"tl", {{"programArgs", {{kDataDir + "/other.tl", {"x"}}}}}}}}});
  EXPECT_EQ(diagnostics_for(c, 1, uri), json::array());
  EXPECT_FALSE(contains(hover_text(c, 2, 4, uri), "[3, 2]")) << hover_text(c, 2, 4, uri);
  // Back, absolute: known again. A wrong shape is logged and ignored (the setting stays).
  c.notify(
      "workspace/didChangeConfiguration",
      {{"settings",
        {{"tl",
          {{"programArgs", {{kDataDir + "/from_args.tl", {"models/linear.safetensors"}}}}}}}}});
  d = diagnostics_for(c, 1, uri);
  ASSERT_EQ(d.size(), 1u) << d.dump();
  EXPECT_EQ(d[0]["code"], "E0403") << d.dump();
  c.notify("workspace/didChangeConfiguration",
           {{"settings", {{"tl", {{"programArgs", {{"from_args.tl", "not a list"}}}}}}}});
  EXPECT_TRUE(contains(hover_text(c, 2, 4, uri), "w: float16[3, 2]")) << hover_text(c, 2, 4, uri);
  finish(c);
}

// docs/examples/llama.tl with the tiny Llama's arguments: the functions that take `m: Model` are
// checked with its header for each call (specializations), so a tensor inside `forward` hovers
// with the shapes the calls give it, and without the arguments it does not.
TEST(ProgramArgs, HoverInsideAFunctionShowsTheShapesOfItsCalls) {
  const std::string dir = std::string(TL_TESTS_DIR) + "/../docs/examples";
  const std::string model =
      std::string(TL_TESTS_DIR) + "/../../shared/fixtures/llama/tiny_llama_s1_f16.gguf";
  if (!fs::exists(model)) GTEST_SKIP() << "no " << model;
  const std::string uri = "file://" + dir + "/llama.tl";
  const std::string text = read_file(dir + "/llama.tl");
  // (line, character) of `needle`'s first occurrence, `skip` bytes in (ASCII: UTF-16 alike).
  auto where = [&](std::string_view needle, size_t skip) {
    size_t at = text.find(needle);
    EXPECT_NE(at, std::string::npos) << needle;
    at += skip;
    size_t line_start = text.rfind('\n', at);
    line_start = line_start == std::string::npos ? 0 : line_start + 1;
    return std::pair<int64_t, int64_t>(std::count(text.begin(), text.begin() + at, '\n'),
                                       at - line_start);
  };
  LspClient c{{"--quiet", "--debounce-ms=10"}};
  json init = c.call("initialize",
                     {{"processId", nullptr},
                      {"rootUri", "file://" + dir},
                      {"capabilities", json::object()},
                      {"initializationOptions",
                       {{"lint", false}, {"programArgs", {{"llama.tl", {model, "Hello", "4"}}}}}}});
  ASSERT_TRUE(init.contains("result")) << init.dump();
  c.notify("initialized");
  c.open(uri, text);
  EXPECT_EQ(diagnostics_for(c, 1, uri), json::array());
  // `q` in forward: [tokens, n_head, head_dim], the prompt's length unknown, one token later.
  auto [ql, qc] = where("let q = reshape", 4);
  std::string q = hover_text(c, ql, qc, uri);
  EXPECT_TRUE(contains(q, "variable q: float16[?, 4, 16]")) << q;
  EXPECT_TRUE(contains(q, "By call:")) << q;
  EXPECT_TRUE(contains(q, "`float16[1, 4, 16]`")) << q;
  // A weight of the layer: the header's shape, the same in every call.
  auto [wl, wc] = where("layer.attn_q.weight", 13);
  std::string w = hover_text(c, wl, wc, uri);
  EXPECT_TRUE(contains(w, ".weight: float16[64, 64]")) << w;
  // The logits that generate gets from forward: [tokens, n_vocab].
  auto [ll, lc] = where("let logits = forward", 4);
  EXPECT_TRUE(contains(hover_text(c, ll, lc, uri), "variable logits: float16[?, 360]"))
      << hover_text(c, ll, lc, uri);
  // Inlay hints say the same.
  json hints = c.call("textDocument/inlayHint",
                      {{"textDocument", {{"uri", uri}}}, {"range", range(0, 0, 200, 0)}})["result"];
  std::map<std::string, std::string> hint_at;
  for (const auto& h : hints) hint_at[h["position"].dump()] = h["label"];
  EXPECT_EQ(hint_at[pos(ql, qc + 1).dump()], ": float16[?, 4, 16]") << hints.dump();
  // Without the arguments the model is not known: no shapes inside forward.
  c.notify("workspace/didChangeConfiguration",
           {{"settings", {{"tl", {{"programArgs", json::object()}}}}}});
  EXPECT_EQ(diagnostics_for(c, 1, uri), json::array());
  q = hover_text(c, ql, qc, uri);
  EXPECT_FALSE(contains(q, "16]")) << q;
  finish(c);
}

TEST(Robustness, ALongOperatorChainIsCheckedWithoutOverflowingTheStack) {
  // A left-nested tree as deep as it is long, just under the nesting limit (limits.h).
  std::string text = "let x = 1";
  for (int i = 0; i < 990; ++i) text += " + 1";
  text += "\nlet y = x\n";
  LspClient c{{"--quiet", "--debounce-ms=10"}};
  c.initialize();
  c.open(kUri, text);
  EXPECT_EQ(diagnostics_from(diagnostics_for(c, 1), "tl"), json::array());
  EXPECT_TRUE(contains(hover_text(c, 1, 4), "y: int"));
  finish(c);
}

TEST(Imports, DefinitionGoesIntoTheImportedFile) {
  TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  write_file(dir.path() / "lib.tl",
             "// helpers\nfn double(x: float16[N]) -> float16[N] {\n"
             "    x * 2.0\n}\n");
  const std::string uri = "file://" + (dir.path() / "main.tl").string();
  const std::string lib_uri = "file://" + fs::weakly_canonical(dir.path() / "lib.tl").string();
  LspClient c{{"--quiet", "--debounce-ms=10"}};
  c.initialize();
  c.open(uri, "import \"lib.tl\"\nlet v = double(ones(3))\n");
  EXPECT_EQ(diagnostics_from(diagnostics_for(c, 1, uri), "tl"), json::array());
  json d = c.call("textDocument/definition", at(1, 10, uri))["result"];
  ASSERT_EQ(d.size(), 1u) << d.dump();
  EXPECT_EQ(d[0]["uri"], lib_uri);
  EXPECT_EQ(d[0]["range"], range(1, 3, 1, 9));
  json f = c.call("textDocument/definition", at(0, 10, uri))["result"];  // on the path
  ASSERT_EQ(f.size(), 1u) << f.dump();
  EXPECT_EQ(f[0]["uri"], lib_uri);
  EXPECT_TRUE(contains(hover_text(c, 1, 4, uri), "v: float16[3]"));
  finish(c);
}

TEST(Formatting, SameLayoutAsTlFmtAndNothingForSyntaxErrors) {
  const std::string uri = "file:///tmp/tl_lsp_format_test.tl";
  LspClient c{{"--quiet", "--debounce-ms=10"}};
  json caps = c.initialize()["result"]["capabilities"];
  EXPECT_EQ(caps["documentFormattingProvider"], true);
  EXPECT_EQ(caps["codeActionProvider"],
            json({{"codeActionKinds", {"quickfix", "source.fixAll.tl"}}}));
  c.open(uri, "fn f(x:int)->int{\nx+1}\nlet   y=f(2)\n");
  json opts = {{"tabSize", 4}, {"insertSpaces", true}};
  json edits = c.call("textDocument/formatting",
                      {{"textDocument", {{"uri", uri}}}, {"options", opts}})["result"];
  ASSERT_EQ(edits.size(), 1u) << edits.dump();
  EXPECT_EQ(edits[0]["range"], range(0, 0, 3, 0));
  EXPECT_EQ(edits[0]["newText"], "fn f(x: int) -> int {\n    x + 1\n}\nlet y = f(2)\n");
  change(c, 2, "fn f(x: int) -> int {\n    x + 1\n}\nlet y = f(2)\n", uri);
  EXPECT_EQ(c.call("textDocument/formatting",
                   {{"textDocument", {{"uri", uri}}}, {"options", opts}})["result"],
            json::array());  // already formatted
  change(c, 3, "let y = (\n", uri);
  EXPECT_EQ(c.call("textDocument/formatting",
                   {{"textDocument", {{"uri", uri}}}, {"options", opts}})["result"],
            json::array());  // syntax errors: left as it is
  finish(c);
}

}  // namespace
}  // namespace tl::lsp::test
