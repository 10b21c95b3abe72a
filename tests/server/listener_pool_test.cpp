// The listener's blocking pool: handlers that wait on the API server run
// beside the serving thread, never on it, and a full pool answers 503.
#include <gtest/gtest.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>
#include <vector>

#include "server/listener.h"

namespace keyward {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

// "/slow" waits until Release(); anything else answers at once.
struct Gate {
  std::mutex mu;
  std::condition_variable cv;
  bool open = false;
  HttpResponse Handle(const HttpRequest& r) {
    if (r.path == "/slow") {
      std::unique_lock<std::mutex> lock(mu);
      cv.wait(lock, [this] { return open; });
    }
    HttpResponse out;
    out.body = std::string(r.path);
    return out;
  }
  void Release() {
    std::lock_guard<std::mutex> lock(mu);
    open = true;
    cv.notify_all();
  }
};

http::response<http::string_body> Get(std::uint16_t port, const std::string& target) {
  asio::io_context io;
  beast::tcp_stream stream(io);
  stream.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  stream.expires_after(20s);
  http::request<http::string_body> req{http::verb::get, target, 11};
  req.set(http::field::host, "127.0.0.1");
  http::write(stream, req);
  beast::flat_buffer buffer;
  http::response<http::string_body> res;
  http::read(stream, buffer, res);
  return res;
}

template <class Pred>
bool WaitFor(Pred pred, std::chrono::milliseconds limit = 5000ms) {
  auto until = std::chrono::steady_clock::now() + limit;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(5ms);
  }
  return true;
}

TEST(ListenerPool, BlockingHandlersNeverHoldTheServingThread) {
  Gate gate;
  ListenerOptions o;
  o.address = "127.0.0.1";
  o.threads = 1;  // one serving thread: an inline /slow would hold it
  o.blocking = [](std::string_view path) { return path == "/slow"; };
  o.blocking_threads = 2;
  o.blocking_queue = 1;
  Listener listener(o, [&gate](const HttpRequest& r) { return gate.Handle(r); }, nullptr);
  ASSERT_TRUE(listener.Start().ok());
  const std::uint16_t port = listener.port();

  std::vector<std::future<http::response<http::string_body>>> slow;
  for (int i = 0; i < 3; ++i) slow.push_back(std::async(std::launch::async, Get, port, "/slow"));
  ASSERT_TRUE(WaitFor([&] { return listener.blocking_in_progress() == 3; }));  // 2 running, 1 queued

  // The pool and its queue are full: one more is refused at once.
  auto start = std::chrono::steady_clock::now();
  auto busy = Get(port, "/slow");
  EXPECT_EQ(busy.result_int(), 503);
  EXPECT_EQ(busy[http::field::retry_after], "1");
  EXPECT_EQ(listener.blocking_refused(), 1);

  // Everything else is served meanwhile by the one serving thread.
  for (int i = 0; i < 20; ++i) {
    auto fast = Get(port, "/v1/check");
    EXPECT_EQ(fast.result_int(), 200);
    EXPECT_EQ(fast.body(), "/v1/check");
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);

  gate.Release();
  for (auto& f : slow) {
    auto res = f.get();
    EXPECT_EQ(res.result_int(), 200);
    EXPECT_EQ(res.body(), "/slow");
  }
  EXPECT_TRUE(WaitFor([&] { return listener.blocking_in_progress() == 0; }));
  listener.Stop();
}

TEST(ListenerPool, StopWaitsForHandlersOnThePool) {
  Gate gate;
  ListenerOptions o;
  o.address = "127.0.0.1";
  o.blocking = [](std::string_view path) { return path == "/slow"; };
  auto listener = std::make_unique<Listener>(o, [&gate](const HttpRequest& r) { return gate.Handle(r); },
                                             nullptr);
  ASSERT_TRUE(listener->Start().ok());
  auto pending = std::async(std::launch::async, Get, listener->port(), "/slow");
  ASSERT_TRUE(WaitFor([&] { return listener->blocking_in_progress() == 1; }));
  std::thread release([&gate] {
    std::this_thread::sleep_for(100ms);
    gate.Release();
  });
  listener->Stop();  // returns only once the handler is done with its request
  listener.reset();
  release.join();
  try {
    pending.get();  // answered or cut off; never a handler on freed memory (ASan)
  } catch (const std::exception&) {
  }
}

}  // namespace
}  // namespace keyward
