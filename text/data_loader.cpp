#include "text/data_loader.hpp"

#include <string>

#include <fmt/format.h>

#include "tensor/error.hpp"

namespace xgrad::text {

GptDataset::GptDataset(std::vector<Token> ids, long max_length, long stride)
    : ids_(std::move(ids)), max_length_(max_length), stride_(stride) {
    if (max_length < 1 || stride < 1)
        throw ValueError("GptDataset: max_length " + std::to_string(max_length) + " and stride " + std::to_string(stride) +
                         " must be 1 or more");
    const auto n = static_cast<long>(ids_.size());
    windows_ = n > max_length ? static_cast<std::size_t>((n - max_length - 1) / stride + 1) : 0;
    if (windows_ == 0)
        throw ValueError("GptDataset: " + std::to_string(n) + " tokens hold no window of " + std::to_string(max_length) +
                         " inputs and their targets (at least " + std::to_string(max_length + 1) + " tokens needed)");
}

GptDataLoader::GptDataLoader(GptDataset dataset, DataLoaderOptions options, Generator& gen)
    : dataset_(std::move(dataset)), options_(options), gen_(&gen) {
    if (options.batch_size < 1) throw ValueError("GptDataLoader: batch_size " + std::to_string(options.batch_size) + " must be 1 or more");
    if (size() == 0)
        throw ValueError("GptDataLoader: " + std::to_string(dataset_.ids().size()) + " tokens make " +
                         std::to_string(dataset_.size()) + " windows of " + std::to_string(dataset_.max_length()) +
                         ": too few for a batch of " + std::to_string(options.batch_size) + " (drop_last)");
}

std::size_t GptDataLoader::size() const {
    const auto b = static_cast<std::size_t>(options_.batch_size);
    return options_.drop_last ? dataset_.size() / b : (dataset_.size() + b - 1) / b;
}

GptDataLoader::Epoch GptDataLoader::epoch() {
    Epoch e;
    e.loader_ = this;
    const std::size_t n = dataset_.size();
    // _BaseDataLoaderIter.__init__: base_seed = torch.empty((), dtype=torch.int64).random_()
    gen_->random64();
    if (options_.shuffle) {
        // RandomSampler.__iter__: seed = int(torch.empty((), dtype=torch.int64).random_()), a torch.Generator
        // seeded with it, torch.randperm(n, generator=it)
        Generator sampler(gen_->random64() % (std::uint64_t{1} << 63));
        const IdArray perm = randperm(static_cast<int64_t>(n), sampler);
        e.order_.assign(perm.begin(), perm.end());
    } else {
        e.order_.resize(n);
        for (std::size_t i = 0; i < n; ++i) e.order_[i] = i;
    }
    return e;
}

std::optional<Batch> GptDataLoader::Epoch::next() {
    const auto& ds = loader_->dataset_;
    const auto B = static_cast<std::size_t>(loader_->options_.batch_size);
    if (pos_ >= order_.size() || (loader_->options_.drop_last && pos_ + B > order_.size())) return std::nullopt;
    const std::size_t rows = std::min(B, order_.size() - pos_), T = static_cast<std::size_t>(ds.max_length());
    Batch b{IdArray::from_shape({rows, T}), IdArray::from_shape({rows, T})};
    for (std::size_t r = 0; r < rows; ++r) {
        const std::size_t s = ds.start(order_[pos_ + r]);
        for (std::size_t t = 0; t < T; ++t) {
            b.inputs(r, t) = ds.ids()[s + t];
            b.targets(r, t) = ds.ids()[s + t + 1];
        }
    }
    pos_ += rows;
    return b;
}

Batch shard(const Batch& batch, int rank, int world) {
    if (world < 1 || rank < 0 || rank >= world)
        throw ValueError(fmt::format("shard: rank {} of a world of {} (ranks are 0 to world - 1)", rank, world));
    const std::size_t n = batch.inputs.shape()[0], T = batch.inputs.shape()[1];
    const std::size_t from = n * std::size_t(rank) / std::size_t(world), to = n * std::size_t(rank + 1) / std::size_t(world);
    Batch mine{IdArray::from_shape({to - from, T}), IdArray::from_shape({to - from, T})};
    std::copy(batch.inputs.begin() + from * T, batch.inputs.begin() + to * T, mine.inputs.begin());
    std::copy(batch.targets.begin() + from * T, batch.targets.begin() + to * T, mine.targets.begin());
    return mine;
}

}  // namespace xgrad::text
