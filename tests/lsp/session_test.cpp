// Scripted sessions against the real tl-lsp process: lifecycle, encodings, incremental edits,
// hostile input, cancellation.
#include <gtest/gtest.h>

#include "tests/lsp/lsp_client.h"

namespace tl::lsp::test {
namespace {

const std::string kUri = "file:///tmp/session.tl";

json td(const std::string& uri = kUri) {
  return {{"uri", uri}};
}
json pos(int64_t line, int64_t character) {
  return {{"line", line}, {"character", character}};
}
json at(int64_t line, int64_t character, const std::string& uri = kUri) {
  return {{"textDocument", td(uri)}, {"position", pos(line, character)}};
}
json range(int64_t l0, int64_t c0, int64_t l1, int64_t c1) {
  return {{"start", pos(l0, c0)}, {"end", pos(l1, c1)}};
}
json change(int64_t version, json changes) {
  return {{"textDocument", {{"uri", kUri}, {"version", version}}}, {"contentChanges", changes}};
}
int error_code(const json& r) {
  return r.contains("error") ? r["error"]["code"].get<int>() : 0;
}

void shutdown_and_exit(LspClient& c) {
  EXPECT_TRUE(c.call("shutdown").contains("result"));
  c.notify("exit");
  EXPECT_EQ(c.wait_exit(), 0);
}

TEST(Lifecycle, InitializeShutdownExit) {
  LspClient c;
  EXPECT_EQ(error_code(c.call("textDocument/hover", at(0, 0))), -32002);  // before initialize
  json init = c.initialize();
  ASSERT_TRUE(init.contains("result")) << init.dump();
  const json& caps = init["result"]["capabilities"];
  EXPECT_EQ(caps["positionEncoding"], "utf-16");
  EXPECT_EQ(caps["textDocumentSync"]["change"], 2);
  EXPECT_TRUE(caps["hoverProvider"].get<bool>());
  EXPECT_EQ(init["result"]["serverInfo"]["name"], "tl-lsp");
  EXPECT_EQ(error_code(c.call("initialize", {{"capabilities", json::object()}})), -32600);
  EXPECT_EQ(error_code(c.call("no/such/method")), -32601);
  c.notify("no/such/notification");  // ignored
  c.notify("$/setTrace", {{"value", "off"}});
  EXPECT_TRUE(c.call("shutdown").contains("result"));
  EXPECT_EQ(error_code(c.call("textDocument/hover", at(0, 0))), -32600);  // after shutdown
  c.notify("exit");
  EXPECT_EQ(c.wait_exit(), 0);
}

TEST(Lifecycle, ExitWithoutShutdownIsCode1) {
  LspClient c;
  c.initialize();
  c.notify("exit");
  EXPECT_EQ(c.wait_exit(), 1);
}

TEST(Lifecycle, EndOfInputWithoutExitEndsTheServer) {
  LspClient c;
  c.initialize();
  c.close_stdin();
  EXPECT_EQ(c.wait_exit(), 1);
}

// Hover on `softmax` after non-ASCII text: the hover range is in the negotiated encoding.
// "/* 日本語 😀 */ softmax(x)": UTF-16 column 13, UTF-8 column 21.
const std::string kUnicodeLine = "/* 日本語 😀 */ softmax(x)\n// Привет, 한국어\nlet y = relu(x)\n";

TEST(Encoding, Utf16ByDefault) {
  LspClient c;
  c.initialize();
  c.open(kUri, kUnicodeLine);
  json h = c.call("textDocument/hover", at(0, 15));
  ASSERT_TRUE(h["result"].is_object()) << h.dump();
  EXPECT_EQ(h["result"]["range"], range(0, 13, 0, 20));
  EXPECT_NE(h["result"]["contents"]["value"].get<std::string>().find("softmax(x: Tensor"),
            std::string::npos);
  // The surrogate pair's second half clamps to the character's start, not into the comment.
  EXPECT_EQ(c.call("textDocument/hover", at(0, 8))["result"], nullptr);
  shutdown_and_exit(c);
}

TEST(Encoding, Utf8WhenOffered) {
  LspClient c;
  json init = c.initialize({{"general", {{"positionEncodings", {"utf-8", "utf-16"}}}}});
  EXPECT_EQ(init["result"]["capabilities"]["positionEncoding"], "utf-8");
  c.open(kUri, kUnicodeLine);
  json h = c.call("textDocument/hover", at(0, 23));
  ASSERT_TRUE(h["result"].is_object()) << h.dump();
  EXPECT_EQ(h["result"]["range"], range(0, 21, 0, 28));
  shutdown_and_exit(c);
}

TEST(Encoding, Utf32OnlyClientGetsUtf16) {
  LspClient c;
  json init = c.initialize({{"general", {{"positionEncodings", {"utf-32"}}}}});
  EXPECT_EQ(init["result"]["capabilities"]["positionEncoding"], "utf-16");
  shutdown_and_exit(c);
}

TEST(IncrementalSync, RangeEditsOnNonAsciiLines) {
  LspClient c;
  c.initialize();
  c.open(kUri, "// Привет 😀\nlet a = 1\n");
  // Insert a call after the emoji (UTF-16 column 12 = "// " 3 + 6 + " " 1 + 2).
  c.notify("textDocument/didChange",
           change(2, {{{"range", range(0, 12, 0, 12)}, {"text", " gelu"}}}));
  json h = c.call("textDocument/hover", at(0, 14));
  ASSERT_TRUE(h["result"].is_object()) << h.dump();
  EXPECT_EQ(h["result"]["range"], range(0, 13, 0, 17));
  // Replace "1" on line 1 with a two-line text, then hover on the second new line.
  c.notify("textDocument/didChange",
           change(3, {{{"range", range(1, 8, 1, 9)}, {"text", "2\nlet b = silu(a)"}}}));
  EXPECT_EQ(c.call("textDocument/hover", at(2, 10))["result"]["range"], range(2, 8, 2, 12));
  // Several changes in one notification apply in order; the last is a full replacement.
  c.notify("textDocument/didChange",
           change(4, {{{"range", range(0, 0, 0, 0)}, {"text", "x"}}, {{"text", "tanh(x)\n"}}}));
  EXPECT_EQ(c.call("textDocument/hover", at(0, 1))["result"]["range"], range(0, 0, 0, 4));
  // An edit whose start is after its end is skipped, and the server goes on.
  c.notify("textDocument/didChange", change(5, {{{"range", range(1, 0, 0, 0)}, {"text", "zz"}}}));
  EXPECT_EQ(c.call("textDocument/hover", at(0, 1))["result"]["range"], range(0, 0, 0, 4));
  // Out-of-range edit positions clamp to the end of the document.
  c.notify("textDocument/didChange",
           change(6, {{{"range", range(100, 5, 200, 0)}, {"text", "exp(x)"}}}));
  EXPECT_EQ(c.call("textDocument/hover", at(1, 1))["result"]["range"], range(1, 0, 1, 3));
  shutdown_and_exit(c);
}

TEST(Diagnostics, PublishedWithVersionsNeverGoingBack) {
  LspClient c({"--quiet", "--debounce-ms=20"});
  c.initialize();
  c.open(kUri, "let a = 1\n", 1);
  for (int v = 2; v <= 30; ++v)
    c.notify("textDocument/didChange",
             change(v, {{{"text", "let a = " + std::to_string(v) + "\n"}}}));
  auto last = c.wait_notification("textDocument/publishDiagnostics",
                                  [](const json& n) { return n["params"]["version"] == 30; });
  ASSERT_TRUE(last) << "no diagnostics for the last version";
  // Every publication before it carried an older version, in increasing order.
  int64_t prev = 0;
  for (const auto& n : c.notifications()) {
    if (n["method"] != "textDocument/publishDiagnostics") continue;
    int64_t v = n["params"]["version"];
    EXPECT_GT(v, prev);
    EXPECT_LT(v, 30);
    prev = v;
  }
  shutdown_and_exit(c);
}

TEST(Robustness, UnopenedDocumentsAndBadParams) {
  LspClient c;
  c.initialize();
  EXPECT_EQ(error_code(c.call("textDocument/hover", at(0, 0, "file:///nope.tl"))), -32803);
  EXPECT_EQ(error_code(c.call("textDocument/completion", {{"textDocument", 5}})), -32602);
  EXPECT_EQ(error_code(c.call("textDocument/hover", json::array({1, 2}))), -32602);
  c.open(kUri, "relu(x)\n");
  EXPECT_EQ(error_code(c.call("textDocument/hover", {{"textDocument", td()}})), -32602);
  // Positions far outside the document clamp; negative and non-integer ones are refused or clamped.
  EXPECT_EQ(c.call("textDocument/hover", at(1000000, 1000000))["result"], nullptr);
  json far = c.call("textDocument/hover", at(0, 4294967295));  // clamps to after ")"
  EXPECT_TRUE(far.contains("result") && far["result"].is_null()) << far.dump();
  EXPECT_EQ(
      error_code(c.call("textDocument/hover",
                        {{"textDocument", td()}, {"position", {{"line", "x"}, {"character", 0}}}})),
      -32602);
  EXPECT_EQ(c.call("textDocument/hover", at(-5, -5))["result"]["range"], range(0, 0, 0, 4));
  c.notify("textDocument/didChange",
           {{"textDocument", {{"uri", "file:///other.tl"}, {"version", 2}}},
            {"contentChanges", json::array()}});
  c.notify("textDocument/didClose", {{"textDocument", td("file:///never-opened.tl")}});
  c.notify("textDocument/didOpen", {{"textDocument", {{"uri", 3}}}});
  EXPECT_EQ(c.call("textDocument/hover", at(0, 1))["result"]["range"], range(0, 0, 0, 4));
  shutdown_and_exit(c);
}

TEST(Robustness, HostileBytesThenNormalService) {
  LspClient c;
  c.initialize();
  c.send_raw(frame("{this is not json"));
  auto pe = c.wait_response(nullptr);
  ASSERT_TRUE(pe);
  EXPECT_EQ((*pe)["error"]["code"], -32700);
  c.send_raw(frame("[1,2,3]"));
  c.send_raw(frame("\"just a string\""));
  c.send_raw(frame(R"({"jsonrpc":"2.0","id":{"o":1},"method":"x"})"));
  c.send_raw(
      frame(std::string("{\"jsonrpc\":\"2.0\",\"id\":77,\"method\":\"a\xff\"}")));  // bad UTF-8
  c.send_raw("Content-Length: abc\r\n\r\n{}");
  c.send_raw("no header at all\r\n\r\n{}");
  c.send_raw("Content-Length: 1152921504606846976\r\n\r\n{}");  // 2^60: refused, not allocated
  c.send_raw("Content-Length: 67108865\r\n\r\n");               // 64 MiB + 1
  c.send_raw(std::string(20000, 'Z') + "\r\n");                 // an endless header line
  c.send_raw(frame(std::string(200, '[')));                     // deep but bounded nesting
  // After all that, the server still answers in order.
  c.open(kUri, "gelu(x)\n");
  json h = c.call("textDocument/hover", at(0, 2));
  ASSERT_TRUE(h.contains("result")) << h.dump();
  EXPECT_EQ(h["result"]["range"], range(0, 0, 0, 4));
  shutdown_and_exit(c);
}

TEST(Robustness, ClientVanishingMidMessage) {
  LspClient c;
  c.initialize();
  c.send_raw("Content-Length: 500\r\n\r\n{\"jsonrpc\":");
  c.close_stdin();
  EXPECT_EQ(c.wait_exit(), 1);
}

TEST(Cancel, EveryRequestAnsweredOnceCancelledOrNot) {
  LspClient c;
  c.initialize();
  std::string text;
  for (int i = 0; i < 3000; ++i) text += "softmax(v" + std::to_string(i) + ", 1) // Привет\n";
  c.open(kUri, text);
  // A burst of requests in one write, then cancellations for the later half: those still queued
  // are answered RequestCancelled, the rest normally; every id gets exactly one response.
  std::string burst;
  for (int i = 0; i < 200; ++i)
    burst += frame(json{
        {"jsonrpc", "2.0"},
        {"id", 1000 + i},
        {"method", "textDocument/hover"},
        {"params",
         at(i, 3)}}.dump());
  for (int i = 100; i < 200; ++i)
    burst += frame(
        json{{"jsonrpc", "2.0"}, {"method", "$/cancelRequest"}, {"params", {{"id", 1000 + i}}}}
            .dump());
  c.send_raw(burst);
  int cancelled = 0, answered = 0;
  for (int i = 0; i < 200; ++i) {
    auto r = c.wait_response(1000 + i, 10s);
    ASSERT_TRUE(r) << "no response for " << 1000 + i;
    if (error_code(*r) == -32800) {
      EXPECT_GE(i, 100);
      ++cancelled;
    } else {
      EXPECT_EQ((*r)["result"]["range"], range(i, 0, i, 7)) << r->dump();  // softmax
      ++answered;
    }
  }
  EXPECT_EQ(cancelled + answered, 200);
  EXPECT_GE(answered, 100);
  // No duplicate answers arrive afterwards.
  EXPECT_FALSE(c.wait_response(1100, 200ms));
  RecordProperty("cancelled", cancelled);
  shutdown_and_exit(c);
}

}  // namespace
}  // namespace tl::lsp::test
