#include "lsp/message_queue.h"

#include "lsp/protocol.h"

namespace tl::lsp {

using nlohmann::json;

void MessageQueue::push(json message) {
  {
    std::lock_guard lock(mu_);
    queue_.push_back(std::move(message));
  }
  cv_.notify_one();
}

std::optional<json> MessageQueue::pop() {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return closed_ || !queue_.empty(); });
  if (queue_.empty()) return std::nullopt;
  json m = std::move(queue_.front());
  queue_.pop_front();
  return m;
}

std::optional<json> MessageQueue::try_pop() {
  std::lock_guard lock(mu_);
  if (queue_.empty()) return std::nullopt;
  json m = std::move(queue_.front());
  queue_.pop_front();
  return m;
}

bool MessageQueue::cancel(const json& id) {
  std::lock_guard lock(mu_);
  for (auto it = queue_.begin(); it != queue_.end(); ++it) {
    auto m = it->find("id");
    if (m != it->end() && *m == id && it->contains("method")) {
      queue_.erase(it);
      return true;
    }
  }
  return false;
}

void MessageQueue::close() {
  {
    std::lock_guard lock(mu_);
    closed_ = true;
  }
  cv_.notify_all();
}

json error_response(const json& id, ErrorCode code, const std::string& message) {
  return {{"jsonrpc", "2.0"},
          {"id", id},
          {"error", {{"code", static_cast<int>(code)}, {"message", message}}}};
}

void accept_body(std::string_view body, Output& out, MessageQueue& queue) {
  json m = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (m.is_discarded()) {
    out.send(error_response(nullptr, ErrorCode::kParseError, "Parse error: invalid JSON"));
    return;
  }
  if (!m.is_object()) {
    out.send(error_response(nullptr, ErrorCode::kInvalidRequest,
                            "Invalid Request: expected a JSON object (batches are not used)"));
    return;
  }
  json id = nullptr;
  if (auto it = m.find("id"); it != m.end()) {
    if (!it->is_string() && !it->is_number_integer()) {
      out.send(error_response(nullptr, ErrorCode::kInvalidRequest,
                              "Invalid Request: id must be an integer or a string"));
      return;
    }
    id = *it;
  }
  auto method = m.find("method");
  auto version = m.find("jsonrpc");
  if (version == m.end() || *version != "2.0") {
    if (!id.is_null())
      out.send(error_response(id, ErrorCode::kInvalidRequest,
                              "Invalid Request: jsonrpc must be \"2.0\""));
    return;
  }
  if (method == m.end()) return;  // a response to a request we never send: nothing to do
  if (!method->is_string()) {
    out.send(
        error_response(id, ErrorCode::kInvalidRequest, "Invalid Request: method must be a string"));
    return;
  }
  // `"params": null` is sent by real clients (eglot's shutdown, lsp-mode's exit): no params.
  if (auto p = m.find("params"); p != m.end() && p->is_null()) m.erase(p);
  if (auto p = m.find("params"); p != m.end() && !p->is_object() && !p->is_array()) {
    if (!id.is_null())
      out.send(
          error_response(id, ErrorCode::kInvalidParams, "params must be an object or an array"));
    return;
  }
  if (*method == "$/cancelRequest") {
    const json* params = m.contains("params") ? &m["params"] : nullptr;
    if (params && params->is_object() && params->contains("id")) {
      const json& target = (*params)["id"];
      if ((target.is_string() || target.is_number_integer()) && queue.cancel(target))
        out.send(error_response(target, ErrorCode::kRequestCancelled, "Request cancelled"));
    }
    return;
  }
  queue.push(std::move(m));
}

}  // namespace tl::lsp
