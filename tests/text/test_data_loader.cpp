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

}  // namespace
}  // namespace xgrad::text
