// The lectures' code, translated line by line with xgrad's own API (no raw xtensor): makemore's MLP
// dataset and batches, gpt.py's get_batch, positions and generate loop. Each block quotes the Python it
// translates.
#include "helpers.hpp"

namespace xgrad {
namespace {

using namespace nn;

TEST(LectureCode, MakemoreMlpDatasetAndStep) {
    // block_size = 3; X, Y = [], []
    // for w in words: context = [0] * block_size
    //     for ch in w + '.': ix = stoi[ch]; X.append(context); Y.append(ix); context = context[1:] + [ix]
    const std::vector<std::string> words = {"emma", "olivia"};
    const long block_size = 3;
    std::vector<IdArray> X, Y;
    for (const auto& w : words) {
        IdArray context = IdArray::from_shape({3});
        context.fill(0);
        for (char ch : w + ".") {
            const int64_t ix = ch == '.' ? 0 : ch - 'a' + 1;
            X.push_back(context);
            Y.push_back(IdArray{ix});
            context = cat({slice(context, 0, 1), IdArray{ix}});
        }
    }
    const IdArray Xtr = stack(X), Ytr = cat(Y);  // X = torch.tensor(X); Y = torch.tensor(Y)
    ASSERT_EQ(Xtr.shape(), (IdArray::shape_type{12, 3}));
    EXPECT_EQ(select(Xtr, 0, 4), (IdArray{13, 13, 1}));  // "mma" → a
    EXPECT_EQ(Ytr(4), 0);

    // C = torch.randn((27, 10)); W1 = torch.randn((30, 200)); b1 = torch.randn(200) ...
    manual_seed(42);
    Tensor C = randn({27, 10}).requires_grad_(), W1 = randn({30, 200}).requires_grad_(), b1 = randn({200}).requires_grad_();
    Tensor W2 = randn({200, 27}).requires_grad_(), b2 = randn({27}).requires_grad_();
    // ix = torch.randint(0, Xtr.shape[0], (32,))
    const IdArray ix = randint(0, long(Xtr.shape()[0]), {32});
    // emb = C[Xtr[ix]]; h = torch.tanh(emb.view(-1, 30) @ W1 + b1); logits = h @ W2 + b2
    Tensor emb = embedding(index_select(Xtr, 0, ix), C);
    ASSERT_EQ(emb.shape(), (Shape{32, 3, 10}));
    Tensor h = tanh(matmul(emb.reshape({-1, 30}), W1) + b1);
    Tensor logits = matmul(h, W2) + b2;
    // loss = F.cross_entropy(logits, Ytr[ix]); loss.backward()
    Tensor loss = cross_entropy(logits, index_select(Ytr, 0, ix));
    loss.backward();
    EXPECT_TRUE(C.has_grad());
    EXPECT_TRUE(std::isfinite(loss.item()));
    (void)block_size;
}

// gpt.py's model, shrunk: token and position embeddings, one attention head, the lm head.
struct TinyGpt : Module {
    long block_size;
    Ptr<Embedding> token_embedding_table, position_embedding_table;
    Ptr<LayerNorm> ln_f;
    Ptr<Linear> lm_head, key, query, value;
    TinyGpt(long V, long n_embd, long block) : block_size(block) {
        token_embedding_table = register_module("token_embedding_table", make<Embedding>(V, n_embd));
        position_embedding_table = register_module("position_embedding_table", make<Embedding>(block, n_embd));
        key = register_module("key", make<Linear>(n_embd, n_embd, false));
        query = register_module("query", make<Linear>(n_embd, n_embd, false));
        value = register_module("value", make<Linear>(n_embd, n_embd, false));
        ln_f = register_module("ln_f", make<LayerNorm>(n_embd));
        lm_head = register_module("lm_head", make<Linear>(n_embd, V));
    }
    Tensor forward(const IdArray& idx) const {
        const long T = long(idx.shape()[1]);
        Tensor tok_emb = token_embedding_table(idx);                   // (B, T, C)
        Tensor pos_emb = position_embedding_table(arange_ids(T));     // (T, C): torch.arange(T)
        Tensor x = tok_emb + pos_emb;
        Tensor wei = matmul(query(x), transpose(key(x), -2, -1)) * (1.0f / std::sqrt(float(x.shape()[2])));
        wei = masked_fill(wei, eq(tril(ones({std::size_t(T), std::size_t(T)})), 0.0f), -INFINITY);
        x = x + matmul(softmax(wei, -1), value(x));
        return lm_head(ln_f(x));                                      // (B, T, V)
    }
};

TEST(LectureCode, GptGetBatchPositionsAndGenerate) {
    manual_seed(1337);
    const long block_size = 8, batch_size = 4, V = 11;
    const IdArray data = randint(V, {100});
    // ix = torch.randint(len(data) - block_size, (batch_size,))
    // x = torch.stack([data[i:i+block_size] for i in ix]); y = torch.stack([data[i+1:i+block_size+1] for i in ix])
    const IdArray ix = randint(long(data.size()) - block_size, {std::size_t(batch_size)});
    std::vector<IdArray> xs, ys;
    for (auto i : ix) xs.push_back(slice(data, 0, i, i + block_size)), ys.push_back(slice(data, 0, i + 1, i + block_size + 1));
    const IdArray x = stack(xs), y = stack(ys);
    ASSERT_EQ(x.shape(), (IdArray::shape_type{4, 8}));
    EXPECT_EQ(index(x, {Slice(), Slice(1, None)}), index(y, {Slice(), Slice(None, -1)}));  // y is x shifted by one

    auto model = make<TinyGpt>(V, 16, block_size);
    // logits = logits.view(B*T, C); targets = targets.view(B*T); loss = F.cross_entropy(logits, targets)
    Tensor logits = model(x);
    Tensor loss = cross_entropy(logits.reshape({-1, V}), IdArray(xt::reshape_view(y, {32})));
    loss.backward();
    EXPECT_EQ(model->named_parameters()[0].first, "token_embedding_table.weight");

    // generate: for _ in range(max_new_tokens):
    //     idx_cond = idx[:, -block_size:]; logits, loss = self(idx_cond); logits = logits[:, -1, :] / temperature
    //     v, _ = torch.topk(logits, min(top_k, logits.size(-1))); logits[logits < v[:, [-1]]] = -float('Inf')
    //     probs = F.softmax(logits, dim=-1); idx_next = torch.multinomial(probs, num_samples=1)
    //     idx = torch.cat((idx, idx_next), dim=1)
    NoGradGuard no_grad;
    IdArray idx = IdArray::from_shape({2, 1});
    idx.fill(0);
    const float temperature = 0.8f;
    const long top_k = 3;
    for (int step = 0; step < 12; ++step) {
        const IdArray idx_cond = index(idx, {Slice(), Slice(-block_size, None)});
        Tensor last = index(model(idx_cond), {Slice(), -1, Slice()}) / temperature;
        auto [v, _] = topk(last, std::min(top_k, long(last.shape().back())));
        last = masked_fill(last, lt(last, index(v, {Slice(), Slice(-1, None)})), -INFINITY);
        const Tensor probs = softmax(last, -1);
        const IdArray idx_next = multinomial(probs, 1);
        // only the top-k ids can be drawn
        for (std::size_t b = 0; b < 2; ++b) EXPECT_NE(probs(b, std::size_t(idx_next(b, 0))), 0.0f);
        idx = cat({idx, idx_next}, 1);
    }
    EXPECT_EQ(idx.shape(), (IdArray::shape_type{2, 13}));
    EXPECT_EQ(argmax(to_float(IdArray{3, 9, 2})).size(), 1u);
}

TEST(LectureCode, IdToolkitBasicsAndErrors) {
    EXPECT_EQ(arange_ids(4), (IdArray{0, 1, 2, 3}));
    EXPECT_EQ(arange_ids(5, 0, -2), (IdArray{5, 3, 1}));
    Generator g(3);
    IdArray p = randperm(10, g);
    IdArray sorted = p;
    std::sort(sorted.begin(), sorted.end());
    EXPECT_EQ(sorted, arange_ids(10));
    Generator g2(3);
    EXPECT_EQ(randperm(10, g2), p);  // seeded
    const IdArray r = randint(5, 8, {1000}, g);
    for (auto v : r) ASSERT_TRUE(v >= 5 && v < 8);
    EXPECT_EQ(stack({IdArray{1, 2}, IdArray{3, 4}}, 1), (IdArray{{1, 3}, {2, 4}}));
    EXPECT_EQ(index_select(IdArray{{1, 2}, {3, 4}, {5, 6}}, 0, IdArray{2, 0, 2}), (IdArray{{5, 6}, {1, 2}, {5, 6}}));
    EXPECT_TRUE(testing::throws_with<ValueError>([] { randint(3, 3, {2}); }, {"randint", "high (3)", "low (3)"}));
    EXPECT_TRUE(testing::throws_with<ShapeError>([] { cat({IdArray{{1, 2}}, IdArray{3}}, 0); }, {"cat", "(1)", "(1, 2)"}));
    EXPECT_TRUE(testing::throws_with<IndexError>([] { index_select(IdArray{1, 2}, 0, IdArray{2}); }, {"id 2", "[0, 2)"}));
    EXPECT_TRUE(testing::throws_with<ValueError>([] { arange_ids(0, 5, 0); }, {"step"}));
}

}  // namespace
}  // namespace xgrad
