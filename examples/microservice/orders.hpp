#pragma once
// The orders the service has taken, in memory: a stand-in for the database a real service
// would use. Handlers on the worker threads and tasks on the background pool use it at once,
// so every member takes the mutex and hands out copies, never references into the map.

#include <sloe/sloe.hpp>

#include <fmt/format.h>

#include <cstdint>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <unordered_map>

namespace microservice {

struct Order {
  std::string id;
  std::string owner;   // the "sub" of the token that placed it
  sloe::json details;  // the request's JSON body, as sent
  std::string status;  // "accepted", then "processed" once the background task ran
};

inline sloe::json to_json(const Order& order) {
  return {{"order_id", order.id}, {"status", order.status}, {"order", order.details}};
}

class OrderStore {
 public:
  /// Stores a new order as "accepted" and returns it with its id.
  Order add(std::string owner, sloe::json details) {
    std::lock_guard lock(mutex_);
    Order order{new_id(), std::move(owner), std::move(details), "accepted"};
    orders_.emplace(order.id, order);
    return order;
  }

  /// The order, if `owner` placed it: someone else's order is as unknown as a missing one, so
  /// that ids cannot be probed.
  std::optional<Order> find(const std::string& id, std::string_view owner) const {
    std::lock_guard lock(mutex_);
    auto it = orders_.find(id);
    if (it == orders_.end() || it->second.owner != owner) return std::nullopt;
    return it->second;
  }

  void set_status(const std::string& id, std::string status) {
    std::lock_guard lock(mutex_);
    if (auto it = orders_.find(id); it != orders_.end()) it->second.status = std::move(status);
  }

  /// For an order whose background task could not be queued: the client was told 503.
  void remove(const std::string& id) {
    std::lock_guard lock(mutex_);
    orders_.erase(id);
  }

 private:
  // Random rather than sequential, so that ids reveal nothing about the order volume and two
  // instances behind one load balancer do not hand out the same ones.
  std::string new_id() {
    std::string id;
    do {
      id = fmt::format("ord_{:016x}", random_());
    } while (orders_.contains(id));
    return id;
  }

  mutable std::mutex mutex_;
  std::unordered_map<std::string, Order> orders_;
  std::mt19937_64 random_{std::random_device{}()};
};

}  // namespace microservice
