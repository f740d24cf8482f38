// Optimizers against PyTorch (three steps each), groups, lr changes, schedules, clip_grad_norm, and
// optimizer state saved and restored mid-run giving the same parameters as an unbroken run.
#include <cmath>

#include "nn_reference.hpp"

namespace xgrad {
namespace {

using namespace nn;
using testing::all_close;

// Runs three steps of `opt` on p with the case's gradients g0, g1, g2 and compares p with PyTorch's.
template <class MakeOpt>
void check_steps(const std::string& name, MakeOpt make) {
    SCOPED_TRACE(name);
    const auto& c = testing::nn_case(name);
    Tensor p(c.in.at("p"), true);
    auto opt = make(std::vector<Tensor>{p});
    const bool sparse = c.ids.count("rows") > 0;
    for (int k = 0; k < 3; ++k) {
        const Array& g = c.in.at("g" + std::to_string(k));
        p.zero_grad();
        if (sparse) {
            const IdArray& rows = c.ids.at("rows");
            Array vals = Array::from_shape({rows.size(), 3});
            for (std::size_t i = 0; i < rows.size(); ++i)
                for (std::size_t j = 0; j < 3; ++j) vals(i, j) = g(rows(i), j);
            p.accumulate_sparse_grad(std::vector<int64_t>(rows.begin(), rows.end()), vals);
        } else {
            p.set_grad(g);
        }
        opt.step();
    }
    EXPECT_TRUE(all_close(p.data(), c.after.at("p"), 1e-6, 1e-5));
}

TEST(Optimizers, MatchPyTorchStepByStep) {
    check_steps("sgd", [](auto ps) { return SGD(ps, {.lr = 0.1}); });
    check_steps("sgd_momentum", [](auto ps) { return SGD(ps, {.lr = 0.05, .momentum = 0.9, .dampening = 0.1, .weight_decay = 0.01}); });
    check_steps("sgd_nesterov", [](auto ps) { return SGD(ps, {.lr = 0.05, .momentum = 0.8, .weight_decay = 0.1, .nesterov = true}); });
    check_steps("adam", [](auto ps) { return Adam(ps, {.lr = 0.01}); });
    check_steps("adam_wd_amsgrad", [](auto ps) {
        return Adam(ps, {.lr = 0.02, .betas = {0.8, 0.99}, .eps = 1e-6, .weight_decay = 0.1, .amsgrad = true});
    });
    check_steps("adamw", [](auto ps) { return AdamW(ps, {.lr = 0.01}); });  // weight_decay: AdamW's 1e-2
    check_steps("adamw_amsgrad", [](auto ps) { return AdamW(ps, {.lr = 0.03, .weight_decay = 0.5, .amsgrad = true}); });
    check_steps("sparse_adam", [](auto ps) { return SparseAdam(ps, {.lr = 0.01}); });
    check_steps("sgd_sparse", [](auto ps) { return SGD(ps, {.lr = 0.1}); });
}

TEST(Optimizers, GroupsHaveTheirOwnOptionsAndLrCanChange) {
    Tensor a = ones({2}).requires_grad_(), b = ones({2}).requires_grad_();
    SGD opt({{{a}, {.lr = 0.1}}, {{b}, {.lr = 1.0}}});
    a.set_grad(Array{1, 1});
    b.set_grad(Array{1, 1});
    opt.step();
    EXPECT_FLOAT_EQ(a(0), 0.9f);
    EXPECT_FLOAT_EQ(b(0), 0.0f);
    opt.set_lr(0.5);
    EXPECT_EQ(opt.lr(1), 0.5);
    opt.step();
    EXPECT_FLOAT_EQ(a(0), 0.4f);
    EXPECT_THROW(SGD({a, a}, {}), ValueError);  // a parameter twice
    EXPECT_THROW(SGD({a}, {.lr = -1}), ValueError);
    // a learning rate is a finite number >= 0, whoever sets it
    for (double bad : {std::nan(""), double(INFINITY), -double(INFINITY), -0.5}) {
        EXPECT_TRUE(testing::throws_with<ValueError>([&] { opt.set_lr(bad); }, {"SGD: invalid lr"})) << bad;
        EXPECT_THROW(SGD({a}, {.lr = bad}), ValueError) << bad;
        EXPECT_THROW(Adam({a}, {.lr = bad}), ValueError) << bad;
    }
    EXPECT_EQ(opt.lr(0), 0.5);  // a refused lr changes nothing
    Adam adam({a}, {.lr = 0.1});
    EXPECT_TRUE(testing::throws_with<ValueError>([&] { adam.set_lr(std::nan("")); }, {"Adam: invalid lr nan"}));
    EXPECT_TRUE(testing::throws_with<ValueError>([&] { CosineAnnealingLR(adam, 10, -0.1); }, {"eta_min: invalid lr -0.1"}));
}

TEST(Optimizers, ParametersWithoutGradientsAreSkipped) {
    Tensor a = ones({2}).requires_grad_();
    Adam opt({a}, {.lr = 0.1, .weight_decay = 0.1});
    opt.step();
    EXPECT_EQ(a(0), 1.0f);
}

TEST(Optimizers, DenseAdamRefusesSparseGradientsAndSparseAdamDenseOnes) {
    Embedding emb(5, 2, {.sparse = true});
    sum(emb.forward(IdArray{1})).backward();
    EXPECT_TRUE(testing::throws_with<ValueError>([&] { Adam(emb.parameters()).step(); }, {"Adam", "SparseAdam"}));
    Tensor d = ones({2}).requires_grad_();
    d.set_grad(Array{1, 1});
    EXPECT_TRUE(testing::throws_with<ValueError>([&] { SparseAdam({d}).step(); }, {"SparseAdam", "dense"}));
}

TEST(Schedules, MatchPyTorch) {
    for (const char* name : {"step_lr", "cosine_lr"}) {
        const auto& want = testing::nn_case(name).list.at("lrs");
        Tensor p = zeros({1}).requires_grad_();
        SGD opt({p}, {.lr = 0.1});
        std::unique_ptr<LRScheduler> s;
        if (std::string(name) == "step_lr") s = std::make_unique<StepLR>(opt, 3, 0.5);
        else s = std::make_unique<CosineAnnealingLR>(opt, 10, 0.01);
        for (double lr : want) {
            s->step();
            EXPECT_NEAR(opt.lr(), lr, 1e-12) << name << " at step " << s->last_epoch();
        }
    }
}

TEST(ClipGradNorm, MatchesPyTorch) {
    for (auto [name, max_norm, p] : {std::tuple{"clip_l2", 1.0, 2.0}, std::tuple{"clip_inf", 0.5, double(INFINITY)}, std::tuple{"clip_noop", 100.0, 2.0},
                                  std::tuple{"clip_zero", 1.0, 0.0}}) {
        const auto& c = testing::nn_case(name);
        Tensor a = zeros({3, 4}).requires_grad_(), b = zeros({5}).requires_grad_();
        a.set_grad(c.in.at("a"));
        b.set_grad(c.in.at("b"));
        const double total = clip_grad_norm({a, b}, max_norm, p);
        EXPECT_NEAR(total, c.scalar.at("total"), 1e-5) << name;
        EXPECT_TRUE(all_close(a.grad().data(), c.after.at("a"), 1e-6, 1e-5)) << name;
        EXPECT_TRUE(all_close(b.grad().data(), c.after.at("b"), 1e-6, 1e-5)) << name;
    }
}

TEST(ClipGradNorm, ANormTypeThatIsNoNormIsNamed) {
    Tensor a = zeros({2}).requires_grad_();
    a.set_grad(Array{3, 4});
    for (double p : {-1.0, double(NAN)})
        EXPECT_TRUE(testing::throws_with<ValueError>([&] { clip_grad_norm({a}, 1.0, p); }, {"clip_grad_norm: norm_type"}));
    EXPECT_EQ(a.grad().data()(1), 4.0f);  // untouched
}

TEST(Optimizers, AParameterThatChangedSizeAfterItsStateIsNamed) {
    for (int which = 0; which < 2; ++which) {
        Tensor p = zeros({4}).requires_grad_();
        std::unique_ptr<Optimizer> opt;
        if (which == 0) opt = std::make_unique<Adam>(std::vector<Tensor>{p}, AdamOptions{.lr = 0.1});
        else opt = std::make_unique<SGD>(std::vector<Tensor>{p}, SGDOptions{.lr = 0.1, .momentum = 0.9});
        sum(p * 2.0f).backward();
        opt->step();  // the state is made, shaped (4)
        p.mutable_data() = zeros({6}).data();
        opt->zero_grad();
        sum(p * 2.0f).backward();
        EXPECT_TRUE(testing::throws_with<ShapeError>([&] { opt->step(); }, {"has shape (4), but the parameter now has shape (6)"}))
            << which;
    }
}

TEST(Optimizers, StateRoundTripResumesExactly) {
    // 10 steps straight vs 5 steps, state saved and loaded into a fresh optimizer, 5 more.
    auto run = [](bool interrupt) {
        Generator g(9);
        Tensor p = randn({4, 3}, g).requires_grad_();
        auto opt = std::make_unique<Adam>(std::vector<Tensor>{p}, AdamOptions{.lr = 0.05, .amsgrad = true});
        for (int step = 0; step < 10; ++step) {
            if (interrupt && step == 5) {
                const OptimizerState s = opt->state_dict();
                opt = std::make_unique<Adam>(std::vector<Tensor>{p}, AdamOptions{.lr = 999, .amsgrad = true});
                opt->load_state_dict(s);
                EXPECT_EQ(opt->lr(), 0.05);
            }
            opt->zero_grad();
            sum(pow(p, 3)).backward();
            opt->step();
        }
        return p.data();
    };
    EXPECT_TRUE(testing::all_equal(run(false), run(true)));
}

TEST(Optimizers, StateDictSharesTheBuffersLoadCopiesOrTakes) {
    // As PyTorch: state_dict() hands out the optimizer's own moments (a save copies nothing); a
    // load_state_dict of a state the caller keeps copies it, one of a state given up (&&) takes it.
    Generator g(2);
    Tensor p = randn({3}, g).requires_grad_();
    AdamW opt({p}, {.lr = 0.1});
    auto step = [&] {
        opt.zero_grad();
        sum(p * p).backward();
        opt.step();
    };
    step();
    const OptimizerState shared = opt.state_dict();
    const Array before = shared.tensors.at("0.exp_avg").data();
    step();
    EXPECT_FALSE(testing::all_equal(shared.tensors.at("0.exp_avg").data(), before)) << "a handle sees the next step";
    EXPECT_TRUE(testing::all_equal(shared.tensors.at("0.exp_avg").data(), opt.state_dict().tensors.at("0.exp_avg").data()));

    OptimizerState kept{{{"0.exp_avg", Tensor(before)}, {"0.exp_avg_sq", Tensor(before * before)}}, {{"0.step", "1"}}};
    opt.load_state_dict(kept);
    step();
    EXPECT_TRUE(testing::all_equal(kept.tensors.at("0.exp_avg").data(), before)) << "a kept state is copied";
    OptimizerState given{{{"0.exp_avg", Tensor(before)}, {"0.exp_avg_sq", Tensor(before * before)}}, {{"0.step", "1"}}};
    const Tensor handle = given.tensors.at("0.exp_avg");
    opt.load_state_dict(std::move(given));
    step();
    EXPECT_FALSE(testing::all_equal(handle.data(), before)) << "a given-up state is taken, not copied";
    EXPECT_TRUE(testing::all_equal(handle.data(), opt.state_dict().tensors.at("0.exp_avg").data()));
}

}  // namespace
}  // namespace xgrad
