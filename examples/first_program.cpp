// The README's "A first program", compiled so the README cannot rot.
#include <xgrad.hpp>
using namespace xgrad;

int main() {
    manual_seed(0);
    Tensor V = randn({8, 2}).requires_grad_();       // an embedding table: 8 tokens, 2 dims
    Tensor U = randn({8, 2}).requires_grad_();       // output vectors
    IdArray prev = {6, 3, 2}, next = {3, 2, 6};
    Tensor logits = matmul(index_select(V, 0, prev), t(U));               // (3, 8)
    Tensor loss = -sum(log_softmax(logits, 1) * one_hot(next, 8)) / 3.0f;  // cross-entropy
    loss.backward();                                  // V.grad(), U.grad() now hold dloss/dV, dloss/dU
    fmt::print("{}\n{}\n", loss, V.grad());
}
