// A user's project on the installed library: the first program's gradient check, then a layer of its
// own (RMSNorm, rmsnorm.hpp) checked with xgrad's kit — gradcheck on its parameters and PyTorch's values
// from a reference file — called as m(x) and saved under PyTorch's names. Built with -Wall -Wextra -Werror.
#include <cmath>
#include <cstdio>

#include <xgrad.hpp>

#include "rmsnorm.hpp"

using namespace xgrad;

static bool check(bool ok, const char* what, const std::string& detail = "") {
    std::printf("downstream: %s: %s%s%s\n", what, ok ? "ok" : "WRONG", detail.empty() ? "" : " — ", detail.c_str());
    return ok;
}

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: downstream REFERENCE_FILE\n");
        return 2;
    }
    bool ok = true;
    // y = Σ (x·w)²: dy/dw = 2·xᵀ(x·w) = (-18, -26)
    Tensor x = tensor({{1, 2}, {3, 4}});
    Tensor w = from_vector({0.5f, -1}, {2, 1}).requires_grad_();
    Tensor y = sum(pow(matmul(x, w), 2));
    y.backward();
    ok &= check(std::abs(y.item() - 8.5f) < 1e-6f && std::abs(w.grad()(0, 0) + 18) < 1e-5f &&
                    std::abs(w.grad()(1, 0) + 26) < 1e-5f, "matmul gradient");

    // The user's layer, checked with the kit
    const auto ref = testkit::load_reference_arrays(argv[1]);
    auto norm = nn::make<RMSNorm>(5);
    {
        NoGradGuard g;
        norm->weight.mutable_data() = ref.at("weight");
    }
    Tensor in(ref.at("x"), true);
    Tensor out = norm(in);
    const auto fwd = testkit::compare(out.data(), ref.at("out"));
    ok &= check(fwd.ok, "RMSNorm forward equals PyTorch's", fwd.message);
    out.backward({.grad = ref.at("dout")});
    const auto dx = testkit::compare(in.grad().data(), ref.at("grad_x"), 1e-5, 1e-4);
    const auto dw = testkit::compare(norm->weight.grad().data(), ref.at("grad_weight"), 1e-5, 1e-4);
    ok &= check(dx.ok && dw.ok, "RMSNorm gradients equal PyTorch's", dx.message + dw.message);
    const auto gc = testkit::gradcheck_module(*norm, [&] { return norm(in); }, {in});
    ok &= check(gc.ok, "RMSNorm gradcheck", gc.message);
    ok &= check(norm->state_dict().count("weight") == 1 && norm->type_name() == "RMSNorm", "RMSNorm state_dict");
    return ok ? 0 : 1;
}
