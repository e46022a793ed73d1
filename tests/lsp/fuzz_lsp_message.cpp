// libFuzzer target for the message layer: Content-Length framing, the JSON-RPC envelope,
// cancellation and the server's dispatch (lifecycle, documents, positions, edits), on arbitrary
// bytes. The first byte picks whether the session starts initialized with a document open, so
// the fuzzer reaches the request handlers without having to invent `initialize` first.
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>

#include "lsp/analyzers.h"
#include "lsp/message.h"
#include "lsp/message_queue.h"
#include "lsp/server.h"

namespace {

std::string framed(const std::string& body) {
  return "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tl::lsp;
  std::string input;
  if (size > 0 && (data[0] & 1)) {
    input += framed(R"({"jsonrpc":"2.0","id":0,"method":"initialize","params":{"capabilities":)"
                    R"({"general":{"positionEncodings":[)" +
                    std::string((data[0] & 2) ? R"("utf-8")" : R"("utf-16")") + "]}}}}");
    input +=
        framed(R"({"jsonrpc":"2.0","method":"textDocument/didOpen","params":{"textDocument":)"
               R"({"uri":"file:///f.tl","version":1,"text":"fn f(x: float16[N]) -> float16[N] {\n)"
               R"(  return relu(x) // 日本語 😀\n}\nlet y = f(tensor<float16>([1.0]))\n"}}})");
  }
  if (size > 0) input.append(reinterpret_cast<const char*>(data) + 1, size - 1);

  std::ostringstream sink;
  StreamOutput out(sink);
  MessageQueue queue;
  ServerOptions options;
  options.synchronous_analysis = true;
  options.log = nullptr;
  Server server(out, make_default_analyzer(), options);
  std::istringstream in(input);
  MessageReader reader(in, nullptr, /*max_body=*/1 << 20);
  while (auto body = reader.next()) {
    accept_body(*body, out, queue);
    while (auto m = queue.try_pop()) {
      server.handle(*m);
      if (server.exit_requested()) return 0;
    }
    if (sink.tellp() > (1 << 20)) sink.str({});
  }
  return 0;
}
