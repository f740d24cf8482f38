// Module: registration, dotted names, tied parameters stored once and kept tied, state_dict errors,
// train/eval, printing, Sequential.
#include "helpers.hpp"

namespace xgrad {
namespace {

using namespace nn;

// The lecture's bigram model with an optionally tied output table.
struct Bigram : Module {
    std::shared_ptr<Embedding> V;
    std::shared_ptr<Linear> U;
    Bigram(std::size_t n, std::size_t k, bool tie) : Module("Bigram") {
        V = register_module("V", std::make_shared<Embedding>(n, k));
        U = register_module("U", std::make_shared<Linear>(k, n, false));
        if (tie) U->weight = V->weight;  // one tensor, now registered twice: V.weight and U.weight
    }
};

TEST(Module, NamedParametersUseDottedNames) {
    Bigram m(8, 2, false);
    auto named = m.named_parameters();
    ASSERT_EQ(named.size(), 2u);
    EXPECT_EQ(named[0].first, "V.weight");
    EXPECT_EQ(named[1].first, "U.weight");
    EXPECT_EQ(m.parameters().size(), 2u);
    EXPECT_EQ(m.to_string(), "Bigram(\n  (V): Embedding(8, 2)\n  (U): Linear(in_features=2, out_features=8, bias=false)\n)");
}

TEST(Module, TiedParameterIsListedAndStoredOnceAndStaysTiedAfterLoading) {
    Bigram m(8, 2, true);
    EXPECT_EQ(m.parameters().size(), 1u);
    StateDict d = m.state_dict();
    EXPECT_EQ(d.size(), 1u);
    EXPECT_EQ(d.count("V.weight"), 1u);
    d["V.weight"](3, 1) = 42.0f;
    m.load_state_dict(d);
    EXPECT_EQ(m.V->weight(3, 1), 42.0f);
    EXPECT_EQ(m.U->weight(3, 1), 42.0f);
    EXPECT_EQ(m.V->weight.impl_ptr(), m.U->weight.impl_ptr());
    // a file that carries the other name (as PyTorch's state_dict of a tied model does) loads too
    StateDict alias = {{"U.weight", full_array({8, 2}, 7.0f)}};
    m.load_state_dict(alias);
    EXPECT_EQ(m.V->weight(0, 0), 7.0f);
    // the output uses the tied table: logits = v · Vᵀ
    Tensor logits = m.U->forward(m.V->forward(IdArray{2}));
    EXPECT_EQ(logits.shape(), (Shape{1, 8}));
}

TEST(Module, LoadStateDictNamesMissingUnexpectedAndMisshapedKeys) {
    Bigram m(8, 2, false);
    StateDict d = m.state_dict();
    d.erase("U.weight");
    d["V.bias"] = Array{1};
    d["V.weight"] = full_array({9, 2}, 0);
    try {
        m.load_state_dict(d);
        FAIL() << "no error";
    } catch (const ValueError& e) {
        const std::string msg = e.what();
        EXPECT_NE(msg.find("missing keys: U.weight"), std::string::npos) << msg;
        EXPECT_NE(msg.find("unexpected keys: V.bias"), std::string::npos) << msg;
        EXPECT_NE(msg.find("V.weight: the dict has shape (9, 2), the model (8, 2)"), std::string::npos) << msg;
    }
    // non-strict ignores missing and unexpected keys but never a wrong shape
    d["V.weight"] = full_array({8, 2}, 1.5f);
    m.load_state_dict(d, false);
    EXPECT_EQ(m.V->weight(0, 0), 1.5f);
}

TEST(Module, ZeroGradTrainEvalBuffers) {
    Bigram m(4, 2, false);
    sum(m.U->forward(m.V->forward(IdArray{1, 2}))).backward();
    EXPECT_TRUE(m.V->weight.has_grad());
    m.zero_grad();
    EXPECT_FALSE(m.V->weight.has_grad());
    EXPECT_TRUE(m.is_training());
    m.eval();
    EXPECT_FALSE(m.V->is_training());
    m.train();
    EXPECT_TRUE(m.U->is_training());
    CrossEntropyLoss loss({.weight = ones({3})});
    EXPECT_EQ(loss.named_buffers().size(), 1u);
    EXPECT_EQ(loss.state_dict().count("weight"), 1u);
    EXPECT_THROW(m.register_parameter("V", zeros({1})), ValueError);
    EXPECT_THROW(m.register_parameter("a.b", zeros({1})), ValueError);
}

TEST(Module, SequentialChainsAndNamesChildrenByIndex) {
    manual_seed(0);
    Sequential seq({std::make_shared<Embedding>(10, 4), std::make_shared<Linear>(4, 3)});
    EXPECT_EQ(seq.size(), 2u);
    auto named = seq.named_parameters();
    ASSERT_EQ(named.size(), 3u);
    EXPECT_EQ(named[0].first, "0.weight");
    EXPECT_EQ(named[2].first, "1.bias");
    Tensor y = seq(IdArray{{1, 2, 3}});
    EXPECT_EQ(y.shape(), (Shape{1, 3, 3}));
    EXPECT_THROW(seq(zeros({2, 4})), ValueError);  // an Embedding does not take floats
}

}  // namespace
}  // namespace xgrad
