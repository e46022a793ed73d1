// The message layer on strings: framing, resynchronisation, JSON-RPC envelope checks, cancel.
#include <sstream>

#include <gtest/gtest.h>

#include "lsp/message.h"
#include "lsp/message_queue.h"

namespace tl::lsp {
namespace {

using nlohmann::json;

std::string framed(std::string_view body) {
  return "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + std::string(body);
}

std::vector<std::string> read_all(const std::string& input, size_t* errors = nullptr,
                                  size_t max_body = kMaxBodyBytes) {
  std::istringstream in(input);
  MessageReader r(in, nullptr, max_body);
  std::vector<std::string> out;
  while (auto b = r.next()) out.push_back(*b);
  if (errors) *errors = r.framing_errors();
  return out;
}

TEST(MessageReader, ReadsBackToBackMessages) {
  auto v = read_all(framed("{\"a\":1}") + framed("[]") + framed(""));
  ASSERT_EQ(v.size(), 3u);
  EXPECT_EQ(v[0], "{\"a\":1}");
  EXPECT_EQ(v[1], "[]");
  EXPECT_EQ(v[2], "");
}

TEST(MessageReader, AcceptsOtherHeadersAnyCaseAndBareNewlines) {
  auto v =
      read_all("content-length:  2\nContent-Type: application/vscode-jsonrpc; charset=utf-8\n\n{}");
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0], "{}");
}

TEST(MessageReader, MissingHeaderIsSkippedAndReaderResyncs) {
  size_t errors = 0;
  auto v = read_all("garbage without header\r\n\r\n" + framed("{\"ok\":1}"), &errors);
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0], "{\"ok\":1}");
  EXPECT_GE(errors, 1u);
}

TEST(MessageReader, BadNumbersAreSkipped) {
  for (const char* bad : {"Content-Length: abc\r\n\r\n{}", "Content-Length: -5\r\n\r\n{}",
                          "Content-Length: 99999999999999999999999\r\n\r\n{}",
                          "Content-Length: \r\n\r\n{}", "Content-Length: 12x\r\n\r\n{}"}) {
    size_t errors = 0;
    auto v = read_all(std::string(bad) + framed("{\"next\":true}"), &errors);
    ASSERT_EQ(v.size(), 1u) << bad;
    EXPECT_EQ(v[0], "{\"next\":true}") << bad;
    EXPECT_EQ(errors, 1u) << bad;
  }
}

TEST(MessageReader, HugeContentLengthIsRefusedWithoutAllocating) {
  // 2^60 bytes would abort with bad_alloc if it were allocated; the limit refuses it first.
  size_t errors = 0;
  auto v = read_all(
      "Content-Length: 1152921504606846976\r\n\r\n{\"huge\":1}" + framed("{\"after\":1}"), &errors);
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0], "{\"after\":1}");
  EXPECT_EQ(errors, 1u);
  // The limit is a parameter: just over it is refused, at it is read.
  EXPECT_EQ(read_all(framed("12345"), nullptr, 4).size(), 0u);
  EXPECT_EQ(read_all(framed("1234"), nullptr, 4).size(), 1u);
}

TEST(MessageReader, OverlongHeaderLineIsSkipped) {
  size_t errors = 0;
  auto v = read_all(std::string(100000, 'x') + "\r\n\r\n" + framed("{}"), &errors);
  ASSERT_EQ(v.size(), 1u);
  EXPECT_GE(errors, 1u);
}

TEST(MessageReader, TruncatedBodyEndsInput) {
  EXPECT_TRUE(read_all("Content-Length: 10\r\n\r\n{}").empty());
  EXPECT_TRUE(read_all("Content-Length: 10\r\n").empty());
  EXPECT_TRUE(read_all("").empty());
}

TEST(FrameMessage, InvalidUtf8IsReplacedNotThrown) {
  json j = {{"s", std::string("a\xff\xfe"
                              "b")}};
  std::string f;
  ASSERT_NO_THROW(f = frame_message(j));
  EXPECT_NE(f.find("\xEF\xBF\xBD"), std::string::npos);  // U+FFFD
  auto v = read_all(f);
  ASSERT_EQ(v.size(), 1u);
}

// accept_body: replies that the transport sends itself.
struct Accept {
  std::ostringstream out;
  StreamOutput output{out};
  MessageQueue queue;
  std::vector<json> replies() {
    std::vector<json> r;
    std::istringstream in(out.str());
    MessageReader reader(in, nullptr);
    while (auto b = reader.next()) r.push_back(json::parse(*b));
    return r;
  }
};

TEST(AcceptBody, ParseErrorHasNullId) {
  Accept a;
  accept_body("{not json", a.output, a.queue);
  auto r = a.replies();
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0]["error"]["code"], -32700);
  EXPECT_TRUE(r[0]["id"].is_null());
  EXPECT_FALSE(a.queue.try_pop());
}

TEST(AcceptBody, EnvelopeErrors) {
  Accept a;
  accept_body("[1,2]", a.output, a.queue);                                           // batch
  accept_body("42", a.output, a.queue);                                              // scalar
  accept_body(R"({"jsonrpc":"2.0","id":{"x":1},"method":"m"})", a.output, a.queue);  // bad id
  accept_body(R"({"jsonrpc":"2.0","id":7,"method":5})", a.output, a.queue);          // bad method
  accept_body(R"({"jsonrpc":"1.0","id":8,"method":"m"})", a.output, a.queue);        // version
  accept_body(R"({"jsonrpc":"2.0","id":9,"method":"m","params":3})", a.output, a.queue);
  auto r = a.replies();
  ASSERT_EQ(r.size(), 6u);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(r[i]["error"]["code"], -32600) << i;
  EXPECT_EQ(r[2]["id"], nullptr);
  EXPECT_EQ(r[3]["id"], 7);
  EXPECT_EQ(r[4]["id"], 8);
  EXPECT_EQ(r[5]["error"]["code"], -32602);
  EXPECT_FALSE(a.queue.try_pop());
}

TEST(AcceptBody, QueuesRequestsAndNotificationsIgnoresResponses) {
  Accept a;
  accept_body(R"({"jsonrpc":"2.0","id":"s1","method":"textDocument/hover","params":{}})", a.output,
              a.queue);
  accept_body(R"({"jsonrpc":"2.0","method":"initialized"})", a.output, a.queue);
  accept_body(R"({"jsonrpc":"2.0","id":3,"result":null})", a.output, a.queue);
  EXPECT_EQ(a.queue.try_pop().value()["id"], "s1");
  EXPECT_EQ(a.queue.try_pop().value()["method"], "initialized");
  EXPECT_FALSE(a.queue.try_pop());
  EXPECT_TRUE(a.replies().empty());
}

TEST(AcceptBody, CancelAnswersQueuedRequestAndRemovesIt) {
  Accept a;
  accept_body(R"({"jsonrpc":"2.0","id":1,"method":"textDocument/hover"})", a.output, a.queue);
  accept_body(R"({"jsonrpc":"2.0","id":2,"method":"textDocument/hover"})", a.output, a.queue);
  accept_body(R"({"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":2}})", a.output,
              a.queue);
  accept_body(R"({"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":99}})", a.output,
              a.queue);
  accept_body(R"({"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":[1]}})", a.output,
              a.queue);
  auto r = a.replies();
  ASSERT_EQ(r.size(), 1u);  // unknown or bad ids: nothing to answer
  EXPECT_EQ(r[0]["id"], 2);
  EXPECT_EQ(r[0]["error"]["code"], -32800);
  EXPECT_EQ(a.queue.try_pop().value()["id"], 1);
  EXPECT_FALSE(a.queue.try_pop());
}

TEST(MessageQueue, PopReturnsNulloptAfterCloseAndDrain) {
  MessageQueue q;
  q.push(json{{"a", 1}});
  q.close();
  EXPECT_TRUE(q.pop());
  EXPECT_FALSE(q.pop());
}

}  // namespace
}  // namespace tl::lsp
