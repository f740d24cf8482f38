// GptDataLoader against the book's create_dataloader_v1 in PyTorch (tests/reference/text/dataloader.json,
// written by tests/reference/make_dataloader_reference.py): the same windows in the same batches, two
// epochs, and the default generator left where PyTorch's is (the next torch.rand numbers agree).
#include "text/data_loader.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "tensor/error.hpp"

namespace xgrad::text {
namespace {

TEST(DataLoader, GivesPyTorchsBatchesFromTheSameSeed) {
    std::ifstream f(std::string(XGRAD_TEST_DATA) + "/text/dataloader.json");
    const auto cases = nlohmann::json::parse(f);
    ASSERT_EQ(cases.size(), 5u);
    for (const auto& c : cases) {
        SCOPED_TRACE(c.dump().substr(0, 120));
        std::vector<Token> ids(c["n_ids"].get<std::size_t>());
        for (std::size_t i = 0; i < ids.size(); ++i) ids[i] = static_cast<Token>(i);
        manual_seed(c["seed"].get<std::uint64_t>());
        GptDataLoader loader(GptDataset(ids, c["max_length"], c["stride"]),
                             {.batch_size = c["batch_size"], .shuffle = c["shuffle"], .drop_last = c["drop_last"]});
        EXPECT_EQ(loader.size(), c["batches"].get<std::size_t>());
        for (const auto& want : c["epochs"]) {
            std::vector<std::vector<int64_t>> got;
            auto epoch = loader.epoch();
            while (auto b = epoch.next()) {
                std::vector<int64_t> starts;
                for (std::size_t r = 0; r < b->inputs.shape()[0]; ++r) {
                    starts.push_back(b->inputs(r, 0));
                    for (std::size_t t = 0; t < b->inputs.shape()[1]; ++t) {  // ids i, i + 1, …; targets one on
                        ASSERT_EQ(b->inputs(r, t), b->inputs(r, 0) + int64_t(t));
                        ASSERT_EQ(b->targets(r, t), b->inputs(r, t) + 1);
                    }
                }
                got.push_back(starts);
            }
            EXPECT_EQ(got, want.get<std::vector<std::vector<int64_t>>>());
        }
        const Tensor after = rand({3});
        for (int k = 0; k < 3; ++k) EXPECT_FLOAT_EQ(after.data()(k), c["rand_after"][k].get<float>());
    }
}

TEST(DataLoader, NamesWhatCannotMakeABatch) {
    EXPECT_THROW(GptDataset({1, 2, 3, 4}, 4, 1), ValueError);  // 4 ids: no window of 4 and its targets
    EXPECT_THROW(GptDataset({1, 2, 3}, 0, 1), ValueError);
    EXPECT_THROW(GptDataLoader(GptDataset({1, 2, 3, 4, 5, 6}, 2, 2), {.batch_size = 3}), ValueError);  // 2 windows, drop_last
    EXPECT_EQ(GptDataLoader(GptDataset({1, 2, 3, 4, 5, 6}, 2, 2), {.batch_size = 3, .drop_last = false}).size(), 1u);
}

// Data parallelism's shares: the ranks' rows, in rank order, are the batch's rows, once each.
TEST(DataLoader, ShardsOfABatchAreItsRowsInRankOrder) {
    GptDataLoader loader(GptDataset({0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14}, 2, 2),
                         {.batch_size = 5, .shuffle = false, .drop_last = false});  // 7 windows: batches of 5 and 2
    auto epoch = loader.epoch();
    for (const std::size_t n : {5u, 2u}) {
        const Batch whole = *epoch.next();
        ASSERT_EQ(whole.inputs.shape()[0], n);
        for (const int world : {1, 2, 3}) {
            std::vector<int64_t> inputs, targets;
            for (int r = 0; r < world; ++r) {
                const Batch mine = shard(whole, r, world);
                EXPECT_EQ(mine.inputs.shape()[0], n * std::size_t(r + 1) / world - n * std::size_t(r) / world);
                inputs.insert(inputs.end(), mine.inputs.begin(), mine.inputs.end());
                targets.insert(targets.end(), mine.targets.begin(), mine.targets.end());
            }
            EXPECT_EQ(inputs, std::vector<int64_t>(whole.inputs.begin(), whole.inputs.end())) << world;
            EXPECT_EQ(targets, std::vector<int64_t>(whole.targets.begin(), whole.targets.end())) << world;
        }
    }
    EXPECT_THROW(shard(Batch{}, 2, 2), ValueError);
}

}  // namespace
}  // namespace xgrad::text
