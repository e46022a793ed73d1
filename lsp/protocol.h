// JSON-RPC 2.0 / LSP 3.17 constants shared by the message layer and the server.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>

namespace tl::lsp {

// JSON-RPC and LSP error codes (LSP 3.17, "Response Message").
enum class ErrorCode : int {
  kParseError = -32700,
  kInvalidRequest = -32600,
  kMethodNotFound = -32601,
  kInvalidParams = -32602,
  kInternalError = -32603,
  kServerNotInitialized = -32002,
  kUnknownErrorCode = -32001,
  kRequestFailed = -32803,
  kServerCancelled = -32802,
  kContentModified = -32801,
  kRequestCancelled = -32800,
};

// Thrown by request handlers; the server turns it into an error response.
struct RpcError : std::runtime_error {
  RpcError(ErrorCode c, const std::string& message) : std::runtime_error(message), code(c) {}
  ErrorCode code;
};

// How `Position.character` counts: negotiated in `initialize` (general.positionEncodings).
enum class PositionEncoding { kUtf16, kUtf8 };

}  // namespace tl::lsp
