// Data parallelism as PyTorch's DistributedDataParallel does it, for a module trained on every rank:
// the same initial weights (rank 0's, broadcast), each rank a different share of the batch, and each
// gradient averaged over the ranks — started while backward is still going, bucket by bucket.
//
//     distributed::DataParallel ddp(*model);        // checks every rank has the same model, broadcasts it
//     for (...) {
//         opt.zero_grad();
//         Tensor loss = loss_fn(model->forward(my_share_of_the_batch), ...);
//         loss.backward();                            // buckets are summed over ranks as they fill
//         ddp.wait();                                 // every gradient is now the mean over ranks
//         opt.step();
//     }
//
// Two ways to sum, the same numbers (both send the gradients in the same order on every rank):
//   overlap = true (DDP's way): the parameters in reverse registration order (roughly the order backward produces
//     their gradients), packed into buckets of at most bucket_bytes (one parameter larger than that is a
//     bucket of its own, summed in place in its gradient); a bucket is sent (MPI_Iallreduce) as soon as
//     the last of its gradients is final, while backward goes on, and wait() waits for the rest;
//   after backward (overlap = false, the default): wait() sums each gradient in place, in the same reverse
//     order (MPI_Allreduce, 16 MB at a time, each piece divided by the ranks while in cache).
// Overlap pays when the network moves the bytes while the cores compute. On one machine the sums are
// the cores' own work (copies and adds in shared memory) and MPI advances a non-blocking sum only inside
// its calls: summing after backward was faster there — GPT-2 124M on 2 ranks of this 2-core machine,
// 1.65 s a step against 2.5 s (BENCHMARKS.md, "Data parallelism").
//
// With N ranks each on b rows, the mean over ranks of the per-rank mean losses' gradients is the gradient
// of the mean loss over all N·b rows — one process on the global batch — up to float summation order.
// Dropout too: rank r keeps rows [r·b, (r+1)·b) of the masks that process would draw (the batch the
// masks' first dim), so the ranks drop what it drops.
#pragma once
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "distributed/distributed.hpp"
#include "nn/module.hpp"
#include "tensor/random.hpp"

namespace xgrad::distributed {

struct DataParallelOptions {
    std::size_t bucket_bytes = std::size_t(25) << 20;  // DDP's bucket_cap_mb = 25
    bool broadcast_parameters = true;                   // rank 0's parameters and buffers to every rank
    bool overlap = false;                               // send buckets during backward (see above)
    // The generator dropout draws from: its masks are shared out by rank (Generator::set_mask_share), so
    // each rank of batch b drops its rows of what one process of batch N·b drops; nullptr: every rank
    // draws whole masks of its own (the same ones on every rank when they share a seed, as DDP's).
    Generator* dropout_generator = &default_generator();
};

class DataParallel {
public:
    /// Refuses (DistributedError) ranks whose modules differ in names or shapes; broadcasts rank 0's
    /// values; registers a post-accumulate-grad hook on each parameter. In a world of 1 it does nothing.
    explicit DataParallel(const nn::Module& module, DataParallelOptions options = {});
    ~DataParallel();
    DataParallel(const DataParallel&) = delete;
    DataParallel& operator=(const DataParallel&) = delete;

    /// After backward(), before the optimizer's step: sends what is left (a parameter no backward reached
    /// gets a zero gradient, so every rank sends the same buckets), waits for every sum and leaves each
    /// gradient the mean over ranks. With overlap, nothing to do when no backward ran since the last wait().
    void wait();

    /// Seconds spent inside wait() since construction: the communication backward did not hide.
    double wait_seconds() const { return wait_seconds_; }
    std::size_t bucket_count() const { return buckets_.size(); }

private:
    struct Bucket;
    void on_gradient(std::size_t param);
    void launch_ready();
    void launch(Bucket& b);
    void finish(Bucket& b);

    std::vector<std::pair<std::string, Tensor>> params_;  // reverse registration order
    std::vector<std::size_t> handles_;                    // the hooks, to remove them
    std::vector<std::size_t> bucket_of_;                  // params_[i] is in buckets_[bucket_of_[i]]
    std::vector<char> ready_;                             // params_[i]'s gradient is final this round
    std::vector<std::unique_ptr<Bucket>> buckets_;
    std::size_t next_launch_ = 0;                         // buckets are sent in order: the next to send
    bool overlap_ = true;
    Generator* shared_masks_ = nullptr;  // its mask share is reset when this ends
    bool round_started_ = false;
    double wait_seconds_ = 0;
};

}  // namespace xgrad::distributed
