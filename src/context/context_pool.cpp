// detail::ContextPool: the Contexts of one worker thread and their states, reused request
// after request.

#include "context/context_state.hpp"

namespace sloe::detail {

Context& ContextPool::acquire() {
  Context* c;
  // The oldest free Context is reused once reuse_distance requests completed after its own;
  // the others in the queue completed later (or, held ones, earlier: they wait their turn).
  if (free_ > 0 && completed_ - ring_[head_]->generation_ >= Context::reuse_distance) {
    c = ring_[head_];
    if (++head_ == ring_.size()) head_ = 0;
    --free_;
  } else {
    c = &fresh();
  }
  if (free_states_.empty()) {
    states_.push_back(std::make_unique<ContextState>());
    c->state_ = states_.back().get();
  } else {
    c->state_ = free_states_.back();
    free_states_.pop_back();
  }
  return *c;
}

Context& ContextPool::fresh() {
  if (unused_ == 0) {
    // Room first: once the block exists, adding it cannot throw (and GCC 12 sees no path that
    // frees it before use).
    blocks_.reserve(blocks_.size() + 1);
    blocks_.emplace_back(new Context[kBlock]);
    unused_ = kBlock;
    // One slot per Context, so that release() never needs to grow the ring.
    std::vector<Context*> ring(blocks_.size() * kBlock);
    for (std::size_t i = 0; i < free_; ++i) ring[i] = ring_[(head_ + i) % ring_.size()];
    ring_ = std::move(ring);
    head_ = 0;
  }
  return blocks_.back()[kBlock - unused_--];
}

void ContextPool::return_state(Context& c) {
  free_states_.push_back(c.state_);
  c.state_ = nullptr;
}

void ContextPool::enqueue(Context& c) {
  std::size_t tail = head_ + free_;
  if (tail >= ring_.size()) tail -= ring_.size();
  ring_[tail] = &c;
  ++free_;
}

void ContextPool::release(Context& c) {
  return_state(c);
  enqueue(c);
}

void ContextPool::hold(Context&) {
  ++held_;
}

void ContextPool::release_held(Context& c) {
  --held_;
  release(c);
}

}  // namespace sloe::detail
