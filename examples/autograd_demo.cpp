// A first look at xgrad's autograd: the lecture model on its sentence, written with raw ops.
// ids of the previous tokens → rows of V (index_select) → logits = v·Uᵀ → log_softmax → loss.
#include <cstdio>

#include "xgrad.hpp"

using namespace xgrad;

int main() {
    // "the cat ate the dog! the dog ran the zoo." with the vocabulary ! . ate cat dog ran the zoo
    const IdArray prev = {6, 3, 2, 6, 4, 0, 6, 4, 5, 6, 7};
    const IdArray next = {3, 2, 6, 4, 0, 6, 4, 5, 6, 7, 1};
    const std::size_t N = 8, K = 2, n = prev.size();
    Generator gen(0);
    Tensor V = randn({N, K}, gen).requires_grad_();
    Tensor U = randn({N, K}, gen).requires_grad_();
    const Tensor target = one_hot(next, static_cast<long>(N));

    fmt::print("V = {}\n", V);
    for (int epoch = 0; epoch <= 2000; ++epoch) {
        Tensor v = index_select(V, 0, prev);                     // (n, K)
        Tensor logits = matmul(v, t(U));                         // (n, N)
        Tensor loss = -sum(log_softmax(logits, 1) * target) / float(n);  // mean cross-entropy
        if (epoch % 500 == 0) fmt::print("epoch {:5d}  loss {:.6f}\n", epoch, loss.item());
        V.zero_grad();
        U.zero_grad();
        loss.backward();
        {
            NoGradGuard no_grad;
            V.mutable_data() -= 0.1f * V.grad().data();
            U.mutable_data() -= 0.1f * U.grad().data();
        }
    }
    fmt::print("best possible (8·ln2/11) {:.6f}\n", 8 * std::log(2.0) / 11);
    return 0;
}
