// Every op's forward and backward against PyTorch 1.13 (tests/reference/ops.txt, written by
// tests/reference/make_reference.py). Each case runs the same expression in xgrad, backpropagates the
// stored upstream gradient and compares the output and every input's gradient.
#include <fstream>
#include <functional>
#include <map>
#include <sstream>

#include "helpers.hpp"
#include "reference_file.hpp"

namespace xgrad {
namespace {

using Case = testing::RefCase;

const std::map<std::string, Case>& cases() {
    static const std::map<std::string, Case> c = testing::load_reference("ops.txt");
    return c;
}

using Inputs = std::map<std::string, Tensor>;
using Ids = std::map<std::string, IdArray>;
using Fn = std::function<Tensor(Inputs&, const Ids&)>;

// Runs one case: builds leaves, applies fn, compares out; backprops dout, compares grads.
void check_case(const std::string& name, const Fn& fn) {
    SCOPED_TRACE(name);
    ASSERT_TRUE(cases().count(name)) << "case " << name << " is missing from ops.txt";
    const Case& c = cases().at(name);
    Inputs in;
    for (const auto& [k, v] : c.in) in[k] = Tensor(v, true);
    Tensor y = fn(in, c.ids);
    EXPECT_TRUE(testing::all_close(y, c.out, 1e-5, 1e-5)) << "forward of " << name;
    if (!c.has_dout) return;
    y.backward({.grad = c.dout});
    for (const auto& [k, g] : c.grad) {
        Array mine = in[k].has_grad() ? in[k].grad().data() : full_array(in[k].shape(), 0.0f);
        EXPECT_TRUE(testing::all_close(mine, g, 1e-5, 1e-4)) << "gradient of " << k << " in " << name;
    }
}

TEST(PyTorchReference, Elementwise) {
    check_case("add_broadcast", [](Inputs& x, const Ids&) { return x["a"] + x["b"]; });
    check_case("sub_broadcast", [](Inputs& x, const Ids&) { return x["a"] - x["b"]; });
    check_case("mul_broadcast", [](Inputs& x, const Ids&) { return x["a"] * x["b"]; });
    check_case("div_broadcast", [](Inputs& x, const Ids&) { return x["a"] / x["b"]; });
    check_case("neg", [](Inputs& x, const Ids&) { return -x["x"]; });
    check_case("add_scalar", [](Inputs& x, const Ids&) { return x["x"] + 2.5f; });
    check_case("mul_scalar", [](Inputs& x, const Ids&) { return x["x"] * -1.5f; });
    check_case("div_scalar", [](Inputs& x, const Ids&) { return x["x"] / 4.0f; });
    check_case("rdiv_scalar", [](Inputs& x, const Ids&) { return 2.0f / x["x"]; });
    check_case("pow", [](Inputs& x, const Ids&) { return pow(x["x"], 3.0f); });
    check_case("pow_frac", [](Inputs& x, const Ids&) { return pow(x["x"], 0.5f); });
    check_case("pow_square", [](Inputs& x, const Ids&) { return pow(x["x"], 2.0f); });
    check_case("pow_inverse", [](Inputs& x, const Ids&) { return pow(x["x"], -1.0f); });
    check_case("pow_inverse_square", [](Inputs& x, const Ids&) { return pow(x["x"], -2.0f); });
    check_case("pow_rsqrt", [](Inputs& x, const Ids&) { return pow(x["x"], -0.5f); });
    check_case("pow_general", [](Inputs& x, const Ids&) { return pow(x["x"], 1.7f); });
    check_case("pow_zero", [](Inputs& x, const Ids&) { return pow(x["x"], 0.0f); });
    check_case("exp", [](Inputs& x, const Ids&) { return exp(x["x"]); });
    check_case("log", [](Inputs& x, const Ids&) { return log(x["x"]); });
    check_case("tanh", [](Inputs& x, const Ids&) { return tanh(x["x"]); });
    check_case("sigmoid", [](Inputs& x, const Ids&) { return sigmoid(x["x"]); });
    check_case("relu", [](Inputs& x, const Ids&) { return relu(x["x"]); });
}

TEST(PyTorchReference, Matmul) {
    for (const char* name : {"matmul_2d", "matmul_batched", "matmul_vec_mat", "matmul_mat_vec", "matmul_dot"})
        check_case(name, [](Inputs& x, const Ids&) { return matmul(x["a"], x["b"]); });
}

TEST(PyTorchReference, Vecdot) {
    check_case("vecdot_scores", [](Inputs& x, const Ids&) { return vecdot(x["u"], x["v"]); });
    check_case("vecdot_broadcast", [](Inputs& x, const Ids&) { return vecdot(x["a"], x["b"]); });
    check_case("vecdot_dim1", [](Inputs& x, const Ids&) { return vecdot(x["a"], x["b"], 1); });
    check_case("vecdot_1d", [](Inputs& x, const Ids&) { return vecdot(x["a"], x["b"]); });
}

TEST(PyTorchReference, Shapes) {
    check_case("transpose", [](Inputs& x, const Ids&) { return transpose(x["x"], 0, 2); });
    check_case("t", [](Inputs& x, const Ids&) { return x["x"].t(); });
    check_case("reshape", [](Inputs& x, const Ids&) { return reshape(x["x"], {4, -1}); });
    check_case("cat_dim1", [](Inputs& x, const Ids&) { return cat({x["a"], x["b"]}, 1); });
    check_case("stack_dim1", [](Inputs& x, const Ids&) { return stack({x["a"], x["b"]}, 1); });
    check_case("unsqueeze", [](Inputs& x, const Ids&) { return unsqueeze(x["x"], 1); });
    check_case("squeeze", [](Inputs& x, const Ids&) { return squeeze(x["x"], 1); });
}

TEST(PyTorchReference, Reductions) {
    check_case("sum_all", [](Inputs& x, const Ids&) { return sum(x["x"]); });
    check_case("sum_dims_keepdim", [](Inputs& x, const Ids&) { return sum(x["x"], {0, 2}, true); });
    check_case("sum_dim_neg", [](Inputs& x, const Ids&) { return sum(x["x"], {-1}); });
    check_case("mean_all", [](Inputs& x, const Ids&) { return mean(x["x"]); });
    check_case("mean_dim", [](Inputs& x, const Ids&) { return mean(x["x"], {1}); });
    for (auto [name, dim, keep] : {std::tuple{"max_dim", 1, false}, std::tuple{"max_dim_keepdim", 0, true}}) {
        IdArray idx;
        check_case(name, [&, dim = dim, keep = keep](Inputs& x, const Ids&) {
            auto r = max(x["x"], dim, keep);
            idx = r.indices;
            return r.values;
        });
        EXPECT_EQ(idx, cases().at(name).outids) << name;
    }
}

TEST(PyTorchReference, Softmax) {
    check_case("softmax_last", [](Inputs& x, const Ids&) { return softmax(x["x"], -1); });
    check_case("softmax_dim0", [](Inputs& x, const Ids&) { return softmax(x["x"], 0); });
    check_case("log_softmax_last", [](Inputs& x, const Ids&) { return log_softmax(x["x"], 1); });
    check_case("log_softmax_dim0", [](Inputs& x, const Ids&) { return log_softmax(x["x"], 0); });
    check_case("softmax_large", [](Inputs& x, const Ids&) { return softmax(x["x"], 1); });
}

TEST(PyTorchReference, IndexSelect) {
    check_case("index_select_repeated", [](Inputs& x, const Ids& ids) { return index_select(x["x"], 0, ids.at("ids")); });
    check_case("index_select_dim1", [](Inputs& x, const Ids& ids) { return index_select(x["x"], 1, ids.at("ids")); });
}

TEST(PyTorchReference, ChainOfOps) {
    // the lecture model's loss, written with raw ops
    check_case("chain_softmax_ce", [](Inputs& x, const Ids& ids) {
        return neg(mean(log_softmax(matmul(index_select(x["v"], 0, ids.at("ids")), x["u"].t()), 1)));
    });
}

}  // namespace
}  // namespace xgrad
