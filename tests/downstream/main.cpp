// Uses the installed library: y = Σ (x·w)², and checks dy/dw against the formula 2·xᵀ(x·w).
#include <cmath>
#include <cstdio>

#include <xgrad.hpp>

int main() {
    using namespace xgrad;
    Tensor x = tensor({{1, 2}, {3, 4}});
    Tensor w = from_vector({0.5f, -1}, {2, 1}).requires_grad_();
    Tensor y = sum(pow(matmul(x, w), 2));
    y.backward();
    // x·w = (-1.5, -2.5); dy/dw = 2·xᵀ(x·w) = 2·(1·-1.5 + 3·-2.5, 2·-1.5 + 4·-2.5) = (-18, -26)
    const bool ok = std::abs(y.item() - 8.5f) < 1e-6f && std::abs(w.grad()(0, 0) + 18) < 1e-5f &&
                    std::abs(w.grad()(1, 0) + 26) < 1e-5f;
    std::printf("downstream: y = %g, dy/dw = (%g, %g): %s\n", y.item(), w.grad()(0, 0), w.grad()(1, 0),
                ok ? "ok" : "WRONG");
    return ok ? 0 : 1;
}
