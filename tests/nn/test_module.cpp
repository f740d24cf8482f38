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
    EXPECT_EQ(m.to_string(), "Bigram(\n  (V): Embedding(8, 2)\n  (U): Linear(in_features=2, out_features=8, bias=False)\n)");
    EXPECT_EQ(fmt::format("{}", m), m.to_string());  // print(model), with fmt
    auto p = make<Linear>(3, 4);
    EXPECT_EQ(fmt::format("{}", p), "Linear(in_features=3, out_features=4, bias=True)");
    EXPECT_EQ(fmt::format("{}", *p), fmt::format("{}", p));
    EXPECT_EQ(fmt::format("{}", Ptr<Linear>()), "None");
}

TEST(Module, TiedParameterIsListedAndStoredOnceAndStaysTiedAfterLoading) {
    Bigram m(8, 2, true);
    EXPECT_EQ(m.parameters().size(), 1u);
    StateDict d = m.state_dict();
    EXPECT_EQ(d.size(), 1u);
    EXPECT_EQ(d.count("V.weight"), 1u);
    EXPECT_EQ(d["V.weight"].impl_ptr(), m.V->weight.impl_ptr());  // the module's own tensor, not a copy
    Array changed = d["V.weight"].data();
    changed(3, 1) = 42.0f;
    m.load_state_dict({{"V.weight", Tensor(changed)}});
    EXPECT_EQ(m.V->weight(3, 1), 42.0f);
    EXPECT_EQ(m.U->weight(3, 1), 42.0f);
    EXPECT_EQ(m.V->weight.impl_ptr(), m.U->weight.impl_ptr());
    // a file that carries the other name (as PyTorch's state_dict of a tied model does) loads too
    StateDict alias = {{"U.weight", Tensor(full_array({8, 2}, 7.0f))}};
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
    d["V.bias"] = Tensor(Array{1});
    d["V.weight"] = Tensor(full_array({9, 2}, 0));
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
    d["V.weight"] = Tensor(full_array({8, 2}, 1.5f));
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
    auto seq = make<Sequential>(std::make_shared<Embedding>(10, 4), make<Linear>(4, 3));
    EXPECT_EQ(seq->size(), 2u);
    auto named = seq->named_parameters();
    ASSERT_EQ(named.size(), 3u);
    EXPECT_EQ(named[0].first, "0.weight");
    EXPECT_EQ(named[2].first, "1.bias");
    Tensor y = seq(IdArray{{1, 2, 3}});
    EXPECT_EQ(y.shape(), (Shape{1, 3, 3}));
    EXPECT_TRUE(testing::throws_with<ValueError>([&] { seq(zeros({2, 4})); }, {"child 0 (Embedding) takes ids"}));
    // a typed child, no dynamic_cast
    EXPECT_EQ(seq->ptr<Linear>(1)->weight.shape(), (Shape{3, 4}));
    EXPECT_TRUE(testing::throws_with<ValueError>([&] { seq->ptr<Linear>(0); },
                                                 {"Sequential: child 0 is a Embedding, not a Linear"}));
    EXPECT_THROW(seq->at(2), IndexError);
}

// A user's layer with a two-argument forward, parameters kept in a vector, no boilerplate.
struct MaskedMix : Module {
    std::vector<Tensor> ws;
    MaskedMix(int n) {
        for (int i = 0; i < n; ++i) ws.push_back(register_parameter("w" + std::to_string(i), full({2}, float(i + 1))));
    }
    Tensor forward(const Tensor& x, const Tensor& mask) const {
        Tensor y = x * mask;
        for (const auto& w : ws) y = y * w;
        return y;
    }
};

TEST(Module, AnyForwardSignatureIsCalledAsAFunctionAndVectorParametersNeverDangle) {
    auto m = make<MaskedMix>(50);  // the vector reallocates many times while registering
    EXPECT_EQ(m->type_name(), "MaskedMix");
    auto named = m->named_parameters();
    ASSERT_EQ(named.size(), 50u);
    EXPECT_EQ(named[49].first, "w49");
    EXPECT_EQ(named[49].second.impl_ptr(), m->ws[49].impl_ptr());
    m->ws.clear();  // the module keeps its own handles
    EXPECT_EQ(m->parameters().size(), 50u);
    Ptr<MaskedMix> empty;
    EXPECT_TRUE(testing::throws_with<ValueError>([&] { empty(zeros({2}), zeros({2})); }, {"empty module pointer"}));
    auto two = make<MaskedMix>(2);
    Tensor y = two(tensor({1, 1}), tensor({1, 0}));  // x·mask·1·2
    EXPECT_TRUE(testing::all_close(y, Array{2, 0}));
}

struct Block : Module {
    Ptr<Linear> attn, mlp;
    Block() {
        attn = register_module("attn", make<Linear>(4, 4));
        mlp = register_module("mlp", make<Linear>(4, 4, false));
    }
    Tensor forward(const Tensor& x) const { return x + mlp(attn(x)); }
};

TEST(Module, ModuleListAndModuleDictUsePyTorchsDottedNames) {
    struct Gpt : Module {
        Ptr<ModuleList> h;
        Ptr<ModuleDict> heads;
        Gpt() {
            h = register_module("h", make<ModuleList>());
            for (int i = 0; i < 3; ++i) h->push_back(make<Block>());
            heads = register_module("heads", make<ModuleDict>());
            heads->insert("lm", make<Linear>(4, 7));
        }
        Tensor forward(const Tensor& x) const {
            Tensor y = x;
            for (auto& block : h->items<Block>()) y = block(y);
            return heads->ptr<Linear>("lm")(y);
        }
    };
    auto g = make<Gpt>();
    std::vector<std::string> names;
    for (auto& [n, t] : g->named_parameters()) names.push_back(n);
    ASSERT_EQ(names.size(), 3u * 3 + 2);
    EXPECT_EQ(names[0], "h.0.attn.weight");
    EXPECT_EQ(names[1], "h.0.attn.bias");
    EXPECT_EQ(names[2], "h.0.mlp.weight");
    EXPECT_EQ(names[8], "h.2.mlp.weight");
    EXPECT_EQ(names[9], "heads.lm.weight");
    EXPECT_EQ(g(zeros({2, 4})).shape(), (Shape{2, 7}));
    EXPECT_EQ(g->h->size(), 3u);
    EXPECT_EQ(g->heads->keys(), std::vector<std::string>{"lm"});
    EXPECT_TRUE(g->heads->contains("lm"));
    EXPECT_TRUE(testing::throws_with<IndexError>([&] { g->heads->at("nope"); }, {"no module \"nope\"", "keys: lm"}));
    EXPECT_TRUE(testing::throws_with<ValueError>([&] { g->h->ptr<Linear>(1); }, {"module 1 is a Block, not a Linear"}));
    std::vector<std::string> mods;
    for (auto& [n, m] : g->named_modules()) mods.push_back(n);
    EXPECT_EQ(mods[0], "");
    EXPECT_EQ(mods[1], "h");
    EXPECT_EQ(mods[2], "h.0");
    EXPECT_EQ(mods[3], "h.0.attn");
    EXPECT_EQ(mods.back(), "heads.lm");
}

TEST(Module, ApplyVisitsChildrenBeforeParentsForCustomInitialisation) {
    auto b = make<Block>();
    std::vector<std::string> order;
    b->apply([&](Module& m) {
        order.push_back(m.type_name());
        if (auto* l = m.as<Linear>()) {
            NoGradGuard g;
            l->weight.mutable_data().fill(0.5f);
        }
    });
    EXPECT_EQ(order, (std::vector<std::string>{"Linear", "Linear", "Block"}));
    EXPECT_EQ(b->attn->weight(2, 3), 0.5f);
    EXPECT_EQ(b->mlp->weight(0, 0), 0.5f);
}

}  // namespace
}  // namespace xgrad
