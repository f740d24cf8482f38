// DataParallel (see data_parallel.hpp): the buckets, the hooks that fill them, the waits that empty them.
#include "distributed/data_parallel.hpp"

#include <algorithm>
#include <chrono>
#include <cstring>

#include <fmt/format.h>

namespace xgrad::distributed {

struct DataParallel::Bucket {
    std::vector<std::size_t> params;  // indices into params_, in sending order
    std::size_t elements = 0;
    std::size_t waiting = 0;          // gradients of the bucket not final yet this round
    std::vector<float> buffer;        // the packed gradients (unused by a bucket of one parameter)
    std::vector<Tensor> grads;        // the gradients being summed, held until finish()
    std::unique_ptr<AsyncSum> sum;
};

namespace {

// "name (shape), …" for each tensor ("frozen" when it is not trained): equal on two ranks when their
// models are, and check_same shows where two differ.
std::string layout(const std::vector<std::pair<std::string, Tensor>>& tensors) {
    std::string out;
    for (const auto& [name, t] : tensors)
        out += fmt::format("{}{} ({}){}", out.empty() ? "" : ", ", name, fmt::join(t.sizes(), ", "),
                           t.requires_grad() ? "" : " frozen");
    return out;
}

}  // namespace

DataParallel::DataParallel(const nn::Module& module, DataParallelOptions options) {
    if (world_size() == 1) return;  // nothing to average
    if ((shared_masks_ = options.dropout_generator)) shared_masks_->set_mask_share(std::size_t(rank()), std::size_t(world_size()));
    for (auto& [name, p] : module.named_parameters())
        if (p.requires_grad()) params_.emplace_back(name, p);
    auto everything = module.named_parameters();  // what the broadcast sends: every parameter and buffer
    for (auto& named : module.named_buffers()) everything.push_back(named);
    check_same("model (parameter names and shapes)", layout(everything));
    if (options.broadcast_parameters)
        for (auto& [name, t] : everything) broadcast(std::span(t.mutable_data().data(), t.data().size()));
    std::reverse(params_.begin(), params_.end());
    overlap_ = options.overlap;
    if (!overlap_) return;  // wait() does it all
    const std::size_t cap = std::max<std::size_t>(1, options.bucket_bytes / sizeof(float));
    for (std::size_t i = 0; i < params_.size(); ++i) {
        const auto n = std::size_t(params_[i].second.numel());
        if (buckets_.empty() || buckets_.back()->elements + n > cap) buckets_.push_back(std::make_unique<Bucket>());
        buckets_.back()->params.push_back(i);
        buckets_.back()->elements += n;
        bucket_of_.push_back(buckets_.size() - 1);
    }
    for (auto& b : buckets_)
        if (b->params.size() > 1) b->buffer.resize(b->elements);
    ready_.assign(params_.size(), 0);
    for (std::size_t i = 0; i < params_.size(); ++i)
        handles_.push_back(params_[i].second.register_post_accumulate_grad_hook([this, i](const Tensor&) { on_gradient(i); }));
}

DataParallel::~DataParallel() {
    if (shared_masks_) shared_masks_->set_mask_share(0, 1);
    for (std::size_t i = 0; i < handles_.size(); ++i) params_[i].second.remove_hook(handles_[i]);
    for (auto& b : buckets_)
        if (b->sum) b->sum->wait();
}

void DataParallel::on_gradient(std::size_t i) {
    if (!round_started_) {  // the first gradient of a backward: every bucket waits for all of its own
        for (auto& b : buckets_) b->waiting = b->params.size();
        std::fill(ready_.begin(), ready_.end(), 0);
        next_launch_ = 0;
        round_started_ = true;
    }
    if (ready_[i])
        throw DistributedError(fmt::format("DataParallel: parameter '{}' got a second gradient before wait(): call "
                                           "wait() after each backward, before the optimizer's step", params_[i].first));
    ready_[i] = 1;
    if (--buckets_[bucket_of_[i]]->waiting == 0) launch_ready();
    for (std::size_t k = 0; k < next_launch_; ++k)  // MPI moves the sums along only inside its calls
        if (buckets_[k]->sum) buckets_[k]->sum->done();
}

void DataParallel::launch_ready() {
    while (next_launch_ < buckets_.size() && buckets_[next_launch_]->waiting == 0) launch(*buckets_[next_launch_++]);
}

void DataParallel::launch(Bucket& b) {
    b.grads.clear();
    for (std::size_t i : b.params) b.grads.push_back(params_[i].second.grad());
    if (b.params.size() == 1) {  // summed in place in the gradient itself
        b.sum = std::make_unique<AsyncSum>(b.grads[0].mutable_data().data(), b.elements);
        return;
    }
    std::size_t at = 0;
    for (const Tensor& g : b.grads) {
        std::memcpy(b.buffer.data() + at, g.data().data(), g.data().size() * sizeof(float));
        at += g.data().size();
    }
    b.sum = std::make_unique<AsyncSum>(b.buffer.data(), b.elements);
}

void DataParallel::finish(Bucket& b) {
    b.sum->wait();
    const float scale = 1.0f / float(world_size());
    if (b.params.size() == 1) {
        float* g = b.grads[0].mutable_data().data();
        for (std::size_t k = 0; k < b.elements; ++k) g[k] *= scale;
    } else {
        const float* from = b.buffer.data();
        for (const Tensor& g : b.grads) {
            float* to = g.mutable_data().data();
            for (std::size_t k = 0, n = g.data().size(); k < n; ++k) to[k] = from[k] * scale;
            from += g.data().size();
        }
    }
    b.grads.clear();
    b.sum.reset();
}

void DataParallel::wait() {
    if (params_.empty() || (overlap_ && !round_started_)) return;
    const auto t0 = std::chrono::steady_clock::now();
    if (!overlap_) {
        for (const auto& [name, p] : params_) {
            if (!p.has_grad()) p.set_grad(full_array(p.data().shape(), 0.0f, "DataParallel"));
            Array& g = p.grad().mutable_data();
            all_reduce_mean(std::span(g.data(), g.size()));
        }
        wait_seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        return;
    }
    for (std::size_t i = 0; i < params_.size(); ++i)
        if (!ready_[i]) {  // no gradient on this rank: zeros, so every rank sends every bucket
            const Tensor& p = params_[i].second;
            p.set_grad(full_array(p.data().shape(), 0.0f, "DataParallel"));
            ready_[i] = 1;
            --buckets_[bucket_of_[i]]->waiting;
        }
    launch_ready();
    for (auto& b : buckets_) finish(*b);
    round_started_ = false;
    wait_seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace xgrad::distributed
