// What real clients send that the other session tests do not: `"params": null` (eglot's
// shutdown, lsp-mode's and Sublime LSP's exit), clients without markdown (contentFormat
// plaintext), and what they must not be sent (an empty documentation object).
#include <chrono>

#include <gtest/gtest.h>

#include "tests/lsp/lsp_client.h"

namespace tl::lsp::test {
namespace {

using namespace std::chrono_literals;

const std::string kUri = "file:///tmp/tl_interop_test.tl";

json pos(int64_t line, int64_t character) {
  return {{"line", line}, {"character", character}};
}

TEST(InteropSession, NullParamsShutdownThenExitEndsAtOnceWithZero) {
  LspClient c;
  c.initialize();
  c.send({{"jsonrpc", "2.0"}, {"id", 7}, {"method", "shutdown"}, {"params", nullptr}});
  auto r = c.wait_response(7);
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->contains("error")) << r->dump();
  EXPECT_TRUE((*r)["result"].is_null());
  c.send({{"jsonrpc", "2.0"}, {"method", "exit"}, {"params", nullptr}});
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(c.wait_exit(2s), 0);  // stdin still open: `exit` alone must end it
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1s);
}

TEST(InteropSession, NullParamsExitWithoutShutdownEndsWithOne) {
  LspClient c;
  c.initialize();
  c.send({{"jsonrpc", "2.0"}, {"method", "exit"}, {"params", nullptr}});
  EXPECT_EQ(c.wait_exit(2s), 1);
}

TEST(InteropSession, NullParamsOnARequestThatNeedsThemIsInvalidParams) {
  LspClient c;
  c.initialize();
  c.send({{"jsonrpc", "2.0"}, {"id", 3}, {"method", "textDocument/hover"}, {"params", nullptr}});
  auto r = c.wait_response(3);
  ASSERT_TRUE(r);
  EXPECT_EQ((*r)["error"]["code"], -32602) << r->dump();
}

TEST(InteropSession, PlaintextClientsGetPlaintext) {
  LspClient c;
  c.initialize({{"textDocument",
                 {{"hover", {{"contentFormat", {"plaintext"}}}},
                  {"completion", {{"completionItem", {{"documentationFormat", {"plaintext"}}}}}},
                  {"signatureHelp",
                   {{"signatureInformation", {{"documentationFormat", {"plaintext"}}}}}}}}});
  c.open(kUri, "let x = tensor<float16>([1.0, 2.0], device: cpu)\nlet y = x.softmax(0)\n");
  json h = c.call("textDocument/hover",
                  {{"textDocument", {{"uri", kUri}}}, {"position", pos(1, 4)}})["result"];
  ASSERT_TRUE(h.is_object()) << h.dump();
  EXPECT_EQ(h["contents"]["kind"], "plaintext");
  EXPECT_EQ(h["contents"]["value"].get<std::string>().find("```"), std::string::npos);
  json sig = c.call("textDocument/signatureHelp",
                    {{"textDocument", {{"uri", kUri}}}, {"position", pos(1, 18)}})["result"];
  ASSERT_TRUE(sig.is_object()) << sig.dump();
  EXPECT_EQ(sig["signatures"][0]["documentation"]["kind"], "plaintext") << sig.dump();
  json items = c.call("textDocument/completion", {{"textDocument", {{"uri", kUri}}},
                                                  {"position", pos(1, 8)}})["result"]["items"];
  for (const auto& item : items) {
    if (item.contains("documentation")) {
      EXPECT_EQ(item["documentation"]["kind"], "plaintext");
    }
  }
}

TEST(InteropSession, UserFunctionSignatureHasNoEmptyDocumentation) {
  LspClient c;
  c.initialize();
  c.open(kUri, "fn f(a: int, b: int) -> int {\n    return a + b\n}\nlet z = f(1, 2)\n");
  json sig = c.call("textDocument/signatureHelp",
                    {{"textDocument", {{"uri", kUri}}}, {"position", pos(3, 13)}})["result"];
  ASSERT_TRUE(sig.is_object()) << sig.dump();
  EXPECT_EQ(sig["signatures"][0]["label"], "f(a: int, b: int) -> int");
  EXPECT_FALSE(sig["signatures"][0].contains("documentation")) << sig.dump();
  EXPECT_EQ(sig["activeParameter"], 1);
}

TEST(InteropSession, PrepareRenameOnlyForClientsThatSupportIt) {
  LspClient plain;
  json caps = plain.initialize()["result"]["capabilities"];
  EXPECT_EQ(caps["renameProvider"], true);
  EXPECT_FALSE(caps.contains("diagnosticProvider"));  // pushed to clients that do not pull
  LspClient vscode;
  caps = vscode.initialize(
      {{"textDocument", {{"rename", {{"prepareSupport", true}}}}}})["result"]["capabilities"];
  EXPECT_EQ(caps["renameProvider"], json({{"prepareProvider", true}}));
}

}  // namespace
}  // namespace tl::lsp::test
