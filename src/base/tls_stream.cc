#include "base/tls_stream.h"

#include <openssl/bio.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/ip/address.hpp>

namespace shoal::base {

namespace asio = boost::asio;

namespace {

// A socket BIO that sends with MSG_NOSIGNAL: OpenSSL's own socket BIO write()s, and a write to
// a connection the peer has closed would raise SIGPIPE and kill the process (Asio's sockets
// avoid it the same way). The descriptor is the BIO's data; the socket owns it.
int SocketOf(BIO* b) { return static_cast<int>(reinterpret_cast<intptr_t>(BIO_get_data(b))); }

int SocketWrite(BIO* b, const char* data, int len) {
  BIO_clear_retry_flags(b);
  ssize_t n = ::send(SocketOf(b), data, static_cast<size_t>(len), MSG_NOSIGNAL);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
    BIO_set_retry_write(b);
  }
  return static_cast<int>(n);
}

int SocketRead(BIO* b, char* data, int len) {
  BIO_clear_retry_flags(b);
  ssize_t n = ::recv(SocketOf(b), data, static_cast<size_t>(len), 0);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
    BIO_set_retry_read(b);
  }
  return static_cast<int>(n);
}

long SocketCtrl(BIO*, int cmd, long, void*) { return cmd == BIO_CTRL_FLUSH ? 1 : 0; }

int SocketCreate(BIO* b) {
  BIO_set_init(b, 1);
  return 1;
}

BIO_METHOD* SocketMethod() {
  static BIO_METHOD* method = [] {
    BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "shoal socket");
    BIO_meth_set_write(m, SocketWrite);
    BIO_meth_set_read(m, SocketRead);
    BIO_meth_set_ctrl(m, SocketCtrl);
    BIO_meth_set_create(m, SocketCreate);
    return m;
  }();
  return method;
}

}  // namespace

TlsStream::Core::Core(asio::ip::tcp::socket s, SSL_CTX* ctx)
    : socket(std::move(s)), timer(socket.get_executor()), ssl(SSL_new(ctx)) {
  if (ssl) {
    // RELEASE_BUFFERS: no record buffers while idle (most of a big server's connections are).
    // PARTIAL_WRITE: a write completes with what went out, like a socket's write_some.
    // MOVING_WRITE_BUFFER: a retried write's bytes may sit elsewhere (a moved operation).
    SSL_set_mode(ssl.get(), SSL_MODE_RELEASE_BUFFERS | SSL_MODE_ENABLE_PARTIAL_WRITE |
                                SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  }
}

void TlsStream::Core::Attach(Role role) {
  if (attached || !ssl) return;
  attached = true;
  boost::system::error_code ignored;
  socket.non_blocking(true, ignored);
  BIO* bio = BIO_new(SocketMethod());
  if (bio == nullptr) return;  // the handshake then fails: no BIO to read from
  BIO_set_data(bio, reinterpret_cast<void*>(static_cast<intptr_t>(socket.native_handle())));
  SSL_set_bio(ssl.get(), bio, bio);  // one BIO both ways; the SSL object frees it
  if (role == Role::kServer) {
    SSL_set_accept_state(ssl.get());
  } else {
    SSL_set_connect_state(ssl.get());
  }
}

void TlsStream::Core::Expire(unsigned gen) {
  if (gen != generation) return;
  expired = true;
  boost::system::error_code ignored;
  socket.cancel(ignored);  // a pending wait completes now, and sees `expired`
}

TlsStream::TlsStream(asio::ip::tcp::socket socket, SSL_CTX* ctx)
    : core_(std::make_shared<Core>(std::move(socket), ctx)) {}

TlsStream::TlsStream(const executor_type& executor, SSL_CTX* ctx)
    : TlsStream(asio::ip::tcp::socket(executor), ctx) {}

TlsStream::~TlsStream() = default;

bool TlsStream::SetPeerHost(const std::string& host) {
  SSL* s = core_->ssl.get();
  if (s == nullptr) return false;
  boost::system::error_code ec;
  asio::ip::make_address(host, ec);
  if (!ec) return X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(s), host.c_str()) == 1;
  // SNI for host names only, per RFC 6066.
  return SSL_set_tlsext_host_name(s, host.c_str()) == 1 && SSL_set1_host(s, host.c_str()) == 1;
}

void TlsStream::ExpiresAfter(std::chrono::steady_clock::duration d) {
  Core& c = *core_;
  c.expired = false;
  const unsigned gen = ++c.generation;
  c.timer.expires_after(d);
  c.timer.async_wait([weak = std::weak_ptr<Core>(core_), gen](boost::system::error_code ec) {
    if (ec) return;  // cancelled: re-armed, disarmed or destroyed
    if (auto core = weak.lock()) core->Expire(gen);
  });
}

void TlsStream::ExpiresNever() {
  Core& c = *core_;
  c.expired = false;
  ++c.generation;
  c.timer.cancel();
}

boost::system::error_code TlsStream::Rebind(const executor_type& executor) {
  Core& c = *core_;
  c.expired = false;
  ++c.generation;
  c.timer.cancel();
  boost::system::error_code ec;
  asio::ip::tcp::socket moved = RebindSocket(c.socket, executor, ec);
  if (ec) {
    c.attached = c.attached && c.socket.is_open();
    return ec;
  }
  moved.non_blocking(true, ec);
  c.socket = std::move(moved);
  c.timer = asio::steady_timer(executor);
  return ec;
}

asio::ip::tcp::socket RebindSocket(asio::ip::tcp::socket& socket,
                                   const asio::any_io_executor& executor,
                                   boost::system::error_code& ec) {
  asio::ip::tcp::socket moved(executor);
  const auto protocol = socket.local_endpoint(ec).protocol();
  if (ec) return moved;
  const int fd = socket.release(ec);
  if (ec) return moved;
  moved.assign(protocol, fd, ec);
  if (ec) ::close(fd);
  return moved;
}

void TlsStream::Shutdown() {
  Core& c = *core_;
  if (c.ssl && c.attached && !c.failed && SSL_is_init_finished(c.ssl.get())) {
    ERR_clear_error();
    SSL_shutdown(c.ssl.get());  // queues close_notify; a full socket buffer just drops it
  }
  boost::system::error_code ignored;
  c.timer.cancel();
  c.socket.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  c.socket.close(ignored);
  c.attached = false;
}

boost::system::error_code TlsStream::ErrorOf(Core* core, int ssl_error) {
  const int sys = errno;
  if (ssl_error == SSL_ERROR_ZERO_RETURN) return asio::error::eof;  // close_notify received
  core->failed = true;
  unsigned long e = ERR_get_error();
  if (ssl_error == SSL_ERROR_SYSCALL && e == 0) {
    // The socket failed or closed under the TLS session.
    if (sys == 0) return asio::ssl::error::stream_truncated;
    return {sys, boost::system::system_category()};
  }
  if (ERR_GET_REASON(e) == SSL_R_UNEXPECTED_EOF_WHILE_READING) {
    return asio::ssl::error::stream_truncated;
  }
  if (e == 0) return asio::error::fault;
  return {static_cast<int>(e), asio::error::get_ssl_category()};
}

}  // namespace shoal::base
