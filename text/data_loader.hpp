// The book's data loader (ch. 2, create_dataloader_v1): GPT-style windows over token ids, in batches,
// shuffled as PyTorch's DataLoader shuffles them — from the same seed, the same batches.
//
//     auto ids = Tokenizer::gpt2().encode(text);
//     GptDataLoader loader(GptDataset(ids, /*max_length=*/256, /*stride=*/128), {.batch_size = 4});
//     for (auto epoch = loader.epoch(); auto batch = epoch.next();) { batch->inputs; batch->targets; }
#pragma once
#include <cstddef>
#include <optional>
#include <vector>

#include "autograd/ops.hpp"
#include "tensor/random.hpp"
#include "text/ranks.hpp"

namespace xgrad::text {

/// GPTDatasetV1: window i holds inputs ids[s : s + max_length] and targets ids[s + 1 : s + max_length + 1],
/// s = i·stride, for every s with s + max_length < ids.size().
class GptDataset {
public:
    /// ValueError for max_length or stride below 1, or ids too few for one window.
    GptDataset(std::vector<Token> ids, long max_length, long stride);
    std::size_t size() const { return windows_; }
    long max_length() const { return max_length_; }
    /// Window i's start in the ids.
    std::size_t start(std::size_t i) const { return i * static_cast<std::size_t>(stride_); }
    const std::vector<Token>& ids() const { return ids_; }

private:
    std::vector<Token> ids_;
    long max_length_, stride_;
    std::size_t windows_;
};

struct DataLoaderOptions {
    long batch_size = 4;
    bool shuffle = true;
    bool drop_last = true;
};

/// A batch: inputs and targets, (batch, max_length) each.
struct Batch {
    IdArray inputs, targets;
};

/// A rank's share of a global batch for data parallelism: rows [rank·n/world, (rank+1)·n/world) of its n
/// rows, so `world` ranks together hold the batch one process would, each the same share when world
/// divides n (a last, shorter batch may leave a rank fewer rows, or none). ValueError when rank is not in
/// [0, world).
Batch shard(const Batch& batch, int rank, int world);

class GptDataLoader {
public:
    /// `gen` draws the epochs' seeds (PyTorch's default generator unless a DataLoader is given one).
    GptDataLoader(GptDataset dataset, DataLoaderOptions options, Generator& gen = default_generator());
    /// Batches an epoch (len(loader)).
    std::size_t size() const;
    const GptDataset& dataset() const { return dataset_; }

    /// One pass, as `for batch in loader`: starting it draws what iter(loader) draws from the
    /// generator — a 64-bit base seed for workers, then (shuffled) the sampler's seed, from which a
    /// generator of its own makes the order with randperm.
    class Epoch {
    public:
        std::optional<Batch> next();

    private:
        friend class GptDataLoader;
        const GptDataLoader* loader_ = nullptr;
        std::vector<std::size_t> order_;
        std::size_t pos_ = 0;
    };
    Epoch epoch();

private:
    GptDataset dataset_;
    DataLoaderOptions options_;
    Generator* gen_;
};

}  // namespace xgrad::text
