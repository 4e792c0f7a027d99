#include "context/request_keys.hpp"

#include <string>
#include <utility>

namespace sloe::detail {

void RequestKeys::set(std::string_view key, std::any value) {
  KeyTable& table = writable();
  for (auto& [name, stored] : table) {
    if (name == key) {
      stored = std::move(value);
      return;
    }
  }
  table.emplace_back(std::string(key), std::move(value));
}

std::any* RequestKeys::find(std::string_view key) {
  if (!table_) return nullptr;
  for (std::size_t i = 0; i < table_->size(); ++i) {
    if ((*table_)[i].first == key) return &writable()[i].second;
  }
  return nullptr;
}

std::shared_ptr<const KeyTable> RequestKeys::share() {
  if (!table_ || table_->empty()) return nullptr;
  shared_ = true;
  return table_;
}

void RequestKeys::clear() {
  if (shared_) {
    table_.reset();  // a copy holds it: the next request starts a table of its own
    shared_ = false;
  } else if (table_) {
    table_->clear();
  }
  frozen_.clear();
}

KeyTable& RequestKeys::writable() {
  if (!table_) {
    table_ = std::make_shared<KeyTable>();
  } else if (shared_) {
    frozen_.push_back(table_);
    table_ = std::make_shared<KeyTable>(*table_);
    shared_ = false;
  }
  return *table_;
}

}  // namespace sloe::detail
