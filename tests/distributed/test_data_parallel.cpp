// xgrad::distributed under mpiexec with 2 ranks (CTest starts it so; see tests/CMakeLists.txt). Every
// rank runs every test in the same order, so the collectives inside them meet.
//   - DataParallel broadcasts rank 0's weights, and after backward + wait() every gradient is the mean
//     over ranks: each rank on half the batch gives one process's gradient on the whole batch;
//   - ranks that disagree (model shapes, a value) are refused on every rank, naming the rank;
//   - a second backward before wait() is named.
#include <gtest/gtest.h>

#include <cmath>

#include "distributed/data_parallel.hpp"
#include "helpers.hpp"
#include "nn/nn.hpp"

namespace xgrad {
namespace {

using distributed::DataParallel;
using distributed::DistributedError;

// Two layers and one layer forward() never uses (its gradient: zeros on every rank after wait()).
struct Net : nn::Module {
    nn::Ptr<nn::Linear> fc1, fc2, unused;
    explicit Net(long hidden = 8) : Module("Net") {
        fc1 = register_module("fc1", nn::make<nn::Linear>(4, hidden));
        fc2 = register_module("fc2", nn::make<nn::Linear>(hidden, 3));
        unused = register_module("unused", nn::make<nn::Linear>(3, 3));
    }
    Tensor forward(const Tensor& x) { return fc2(tanh(fc1(x))); }
};

TEST(Distributed, TheJobHasTwoRanks) {
    EXPECT_EQ(distributed::world_size(), 2);
    EXPECT_TRUE(distributed::built_with_mpi());
    EXPECT_EQ(distributed::all_reduce_max(distributed::rank()), 1);
    EXPECT_DOUBLE_EQ(distributed::mean_over_ranks(distributed::rank() == 0 ? 1.0 : 4.0), 2.5);
}

// Three SGD steps: rank r trains on rows [4r, 4r + 4) of an 8-row batch, a reference model (rank 0's
// initial weights, built on every rank from rank 0's seed) on all 8 rows; weights and gradients agree.
class Overlap : public ::testing::TestWithParam<bool> {};

TEST_P(Overlap, EachRankOnHalfTheBatchGivesOneProcessOnAllOfIt) {
    const int r = distributed::rank();
    manual_seed(100 + r);  // different weights on each rank: the broadcast makes them rank 0's
    Net net;
    manual_seed(100);
    Net ref;
    // with overlap, several buckets: the largest parameter alone in its own
    DataParallel ddp(net, {.bucket_bytes = 100, .overlap = GetParam()});
    EXPECT_EQ(ddp.bucket_count(), GetParam() ? 4u : 0u);
    for (const auto& [name, p] : net.named_parameters())
        EXPECT_TRUE(testing::all_equal(p.data(), ref.state_dict().at(name).data())) << name;

    manual_seed(7);
    const Tensor x = randn({8, 4}), y = randn({8, 3});
    nn::SGD opt(net.parameters(), {.lr = 0.1}), ref_opt(ref.parameters(), {.lr = 0.1});
    for (int step = 0; step < 3; ++step) {
        opt.zero_grad(), ref_opt.zero_grad();
        Tensor loss = nn::mse_loss(net.forward(narrow(x, 0, 4 * r, 4)), narrow(y, 0, 4 * r, 4));
        loss.backward();
        ddp.wait();
        Tensor ref_loss = nn::mse_loss(ref.forward(x), y);
        ref_loss.backward();
        EXPECT_NEAR(distributed::mean_over_ranks(loss.item()), ref_loss.item(), 1e-6) << "step " << step;
        for (const auto& [name, p] : net.named_parameters()) {
            const Tensor q = ref.state_dict().at(name);
            if (name.starts_with("unused")) {
                EXPECT_FLOAT_EQ(xt::amax(xt::abs(p.grad().data()))(), 0.0f) << name;
                continue;
            }
            EXPECT_TRUE(testing::all_close(p.grad().data(), q.grad().data(), 1e-6, 1e-6)) << name << " step " << step;
        }
        opt.step(), ref_opt.step();
    }
}

INSTANTIATE_TEST_SUITE_P(DuringOrAfterBackward, Overlap, ::testing::Bool());

TEST(Distributed, RanksWithDifferentModelsAreRefusedOnEveryRank) {
    Net net(distributed::rank() == 0 ? 8 : 9);
    EXPECT_TRUE(testing::throws_with<DistributedError>([&] { DataParallel ddp(net); },
                                                       {"rank 1's model (parameter names and shapes) differs from rank 0's"}));
    EXPECT_TRUE(testing::throws_with<DistributedError>(
        [] { distributed::check_same("text", distributed::rank() == 0 ? "the-verdict" : "shakespeare"); },
        {"rank 1's text differs from rank 0's: \"shakespeare\" against \"the-verdict\""}));
    distributed::check_same("text", "the same");  // no throw
}

TEST(Distributed, ASecondBackwardBeforeWaitIsNamed) {
    manual_seed(1);
    Net net;
    DataParallel ddp(net, {.overlap = true});
    const Tensor x = randn({2, 4});
    net.forward(x).sum().backward();
    EXPECT_TRUE(testing::throws_with<DistributedError>([&] { net.forward(x).sum().backward(); },
                                                       {"parameter 'fc2.", "got a second gradient before wait()"}));
}

}  // namespace
}  // namespace xgrad

int main(int argc, char** argv) {
    xgrad::distributed::ProcessGroup group(argc, argv);
    ::testing::InitGoogleTest(&argc, argv);
    return group.exit(RUN_ALL_TESTS());
}
