// Incoming messages between the reader thread and the request thread, with `$/cancelRequest`
// resolved against requests still waiting here.
#pragma once

#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <string_view>

#include <nlohmann/json.hpp>

#include "lsp/message.h"
#include "lsp/protocol.h"

namespace tl::lsp {

class MessageQueue {
 public:
  void push(nlohmann::json message);
  // Blocks until a message arrives; nullopt once closed and drained.
  std::optional<nlohmann::json> pop();
  std::optional<nlohmann::json> try_pop();
  // Removes the queued request with this id; true if there was one.
  bool cancel(const nlohmann::json& id);
  void close();

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<nlohmann::json> queue_;
  bool closed_ = false;
};

// What the transport does with one framed body before the server sees it: parse the JSON,
// validate the JSON-RPC envelope (ParseError / InvalidRequest replies go straight to `out`),
// answer `$/cancelRequest` for a still-queued request with RequestCancelled, queue the rest.
void accept_body(std::string_view body, Output& out, MessageQueue& queue);

nlohmann::json error_response(const nlohmann::json& id, ErrorCode code, const std::string& message);

}  // namespace tl::lsp
