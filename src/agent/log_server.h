// LogServer: the agent's kubelet-style endpoint for container logs,
//   GET /containerLogs/{namespace}/{pod}/{container}?follow=&previous=&timestamps=&tailLines=
//       &limitBytes=&sinceSeconds=
// over HTTPS. It accepts only clients presenting a certificate issued by the cluster CA with
// the API server's agent-client name (kAgentClientCommonName): the API server relays
// `kubectl logs` here; nobody else gets in. Follow streams new lines (chunked) until the
// container run ends.
//
// Threading: one executor; the locate callback runs on it.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include <boost/asio/any_io_executor.hpp>

#include "absl/status/statusor.h"

namespace shoal::agent {

struct LogSource {
  std::string path;               // the run's log file
  std::function<bool()> running;  // whether that run may still write
};

// Finds a container's log: NotFound for an unknown pod or container (404), FailedPrecondition
// for one that has not started or has no previous run (400).
using LocateLog = std::function<absl::StatusOr<LogSource>(
    const std::string& ns, const std::string& pod, const std::string& container, bool previous)>;

struct LogServerOptions {
  std::string bind_address = "0.0.0.0";
  uint16_t port = 10250;  // 0 picks a free port
  std::string cert_path, key_path;  // the agent's serving certificate
  std::string client_ca_pem;        // the cluster CA that issued the API server's certificate
};

class LogServer {
 public:
  LogServer(boost::asio::any_io_executor executor, LogServerOptions options, LocateLog locate);
  ~LogServer();

  // Loads the certificates and listens. Errors: unreadable certificates, a port in use.
  absl::Status Listen();
  uint16_t port() const { return port_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  uint16_t port_ = 0;
};

}  // namespace shoal::agent
