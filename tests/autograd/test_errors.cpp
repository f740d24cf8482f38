// Bad arguments throw errors that name the op and the shapes, dims or ids involved.
#include <cmath>
#include <functional>

#include "helpers.hpp"

namespace xgrad {
namespace {

using testing::throws_with;

TEST(Errors, ElementAccessChecksTheIndices) {
    const Tensor x = tensor({{1, 2}, {3, 4}});
    EXPECT_EQ(x(1, 0), 3.0f);
    EXPECT_EQ(x(-1, -1), 4.0f);  // from the end, as x[-1, -1]
    EXPECT_TRUE(throws_with<IndexError>([&] { (void)x(5, 7); }, {"Tensor(5, 7): index 5 is out of range for dim 0 of shape (2, 2)"}));
    EXPECT_TRUE(throws_with<IndexError>([&] { (void)x(0, -3); }, {"index -3 is out of range for dim 1"}));
    EXPECT_TRUE(throws_with<IndexError>([&] { (void)x(1); }, {"Tensor(1): 1 indices for a tensor of shape (2, 2) (2 dims)"}));
    EXPECT_TRUE(throws_with<IndexError>([&] { (void)x(0, 0, 0); }, {"3 indices"}));
}

TEST(Errors, ArangeRefusesARangeItCannotWalk) {
    EXPECT_TRUE(throws_with<ValueError>([] { arange(0.0f, NAN); }, {"arange: unsupported range: 0 -> nan"}));
    EXPECT_TRUE(throws_with<ValueError>([] { arange(0.0f, INFINITY); }, {"arange: unsupported range"}));
    EXPECT_TRUE(throws_with<ValueError>([] { arange(0.0f, 5.0f, NAN); }, {"step must be finite and non-zero"}));
    EXPECT_EQ(arange(0.0f, -5.0f, 1.0f).numel(), 0u);  // a range against its step is empty, as numpy's
    EXPECT_EQ(arange(5.0f, 5.0f).numel(), 0u);  // an empty range is no error
    EXPECT_EQ(arange(5.0f, 0.0f, -2.0f).numel(), 3u);
}

TEST(Errors, AReshapeWhoseSizeOverflowsIsNamed) {
    const Tensor x = zeros({4});
    // 2^62 · 4 wraps to 0 in 64 bits (and a 0 dim after it would hide the wrap): checked as it is taken
    EXPECT_TRUE(throws_with<ShapeError>([&] { reshape(x, {1L << 62, 4}); }, {"reshape: the new shape (4611686018427387904, 4) has more elements"}));
    EXPECT_TRUE(throws_with<ShapeError>([&] { reshape(x, {1L << 62, 8, 0}); }, {"more elements than a size can count"}));
    EXPECT_TRUE(throws_with<ShapeError>([&] { reshape(IdArray{1, 2, 3, 4}, {1L << 62, 4}); }, {"reshape: the new shape"}));
    EXPECT_EQ(reshape(x, {2, 2}).shape(), (Shape{2, 2}));
}

TEST(Errors, ASparseGradientRowPastTheTableIsNamed) {
    const Tensor table = zeros({4, 2}).requires_grad_();
    const Array two_rows = zeros({2, 2}).data();
    EXPECT_TRUE(throws_with<IndexError>([&] { table.accumulate_sparse_grad({1, 4}, two_rows); },
                                        {"accumulate_sparse_grad: row 4 at position (1) is out of range [0, 4)"}));
    EXPECT_TRUE(throws_with<IndexError>([&] { table.accumulate_sparse_grad({-1, 0}, two_rows); }, {"row -1"}));
    EXPECT_FALSE(table.has_grad());  // nothing was added
    table.accumulate_sparse_grad({3, 0}, two_rows);
    EXPECT_TRUE(table.has_sparse_grad());
}

TEST(Errors, MatmulNamesBothShapes) {
    Tensor a = zeros({3, 4}), b = zeros({5, 2});
    EXPECT_TRUE(throws_with<ShapeError>([&] { matmul(a, b); }, {"matmul", "(3, 4)", "(5, 2)", "cannot be multiplied"}));
    EXPECT_TRUE(throws_with<ShapeError>([&] { matmul(zeros({2, 3, 4}), zeros({3, 4, 2})); }, {"matmul", "batch dims"}));
    EXPECT_TRUE(throws_with<ShapeError>([&] { matmul(zeros({}), zeros({2})); }, {"matmul", "at least one dim"}));
    EXPECT_TRUE(throws_with<ShapeError>([&] { matmul(zeros({3}), zeros({4})); }, {"matmul", "(3)", "(4)"}));
}

TEST(Errors, VecdotNamesBothShapes) {
    EXPECT_TRUE(throws_with<ShapeError>([] { vecdot(zeros({2, 3}), zeros({4, 5})); }, {"vecdot", "(2, 3)", "(4, 5)"}));
    EXPECT_TRUE(throws_with<ShapeError>([] { vecdot(zeros({}), zeros({3})); }, {"vecdot", "at least one dim"}));
    EXPECT_TRUE(throws_with<IndexError>([] { vecdot(zeros({2, 3}), zeros({2, 3}), 2); }, {"vecdot", "dim 2"}));
}

TEST(Errors, BroadcastNamesTheOp) {
    EXPECT_TRUE(throws_with<ShapeError>([] { zeros({2, 3}) + zeros({4}); }, {"add", "(2, 3)", "(4)", "broadcast"}));
    EXPECT_TRUE(throws_with<ShapeError>([] { zeros({2, 3}) * zeros({3, 3}); }, {"mul"}));
    EXPECT_TRUE(throws_with<ShapeError>([] { zeros({2}) / zeros({3}); }, {"div"}));
    EXPECT_TRUE(throws_with<ShapeError>([] { zeros({2}) - zeros({3}); }, {"sub"}));
}

TEST(Errors, IdsOutOfRangeNameIdPositionAndRange) {
    Tensor table = zeros({8, 2});
    EXPECT_TRUE(throws_with<IndexError>([&] { index_select(table, 0, IdArray{1, 9, 2}); },
                                        {"index_select", "id 9", "position (1)", "[0, 8)"}));
    EXPECT_TRUE(throws_with<IndexError>([&] { index_select(table, 0, IdArray{-1}); }, {"id -1", "[0, 8)"}));
    EXPECT_TRUE(throws_with<IndexError>([&] { one_hot(IdArray{{0, 1, 2}, {3, 9, 0}}, 8); },
                                        {"one_hot", "id 9", "position (1, 1)", "[0, 8)"}));
    EXPECT_TRUE(throws_with<IndexError>([&] { check_ids(IdArray{0, 8}, 8, "embedding"); }, {"embedding", "id 8", "(1)"}));
    EXPECT_TRUE(throws_with<ShapeError>([&] { index_select(table, 0, IdArray::from_shape({1, 1})); }, {"index_select", "1-D"}));
}

TEST(Errors, DimsOutOfRange) {
    Tensor x = zeros({2, 3});
    EXPECT_TRUE(throws_with<IndexError>([&] { sum(x, {2}); }, {"sum", "dim 2", "rank 2"}));
    EXPECT_TRUE(throws_with<IndexError>([&] { softmax(x, -3); }, {"softmax", "dim -3"}));
    EXPECT_TRUE(throws_with<IndexError>([&] { max(x, 5); }, {"max", "dim 5"}));
    EXPECT_TRUE(throws_with<IndexError>([&] { transpose(x, 0, 2); }, {"transpose"}));
    EXPECT_TRUE(throws_with<IndexError>([&] { sum(x, {0, 0}); }, {"sum", "more than once"}));
    EXPECT_TRUE(throws_with<IndexError>([&] { unsqueeze(x, 4); }, {"unsqueeze", "dim 4"}));
    EXPECT_TRUE(throws_with<ShapeError>([&] { max(zeros({2, 0}), 1); }, {"max", "empty"}));
}

TEST(Errors, ReshapeAndJoin) {
    Tensor x = zeros({2, 3});
    EXPECT_TRUE(throws_with<ShapeError>([&] { reshape(x, {4, 2}); }, {"reshape", "(4, 2)", "(2, 3)", "6 elements"}));
    EXPECT_TRUE(throws_with<ShapeError>([&] { reshape(x, {4, -1}); }, {"reshape", "(4, -1)"}));
    EXPECT_TRUE(throws_with<ValueError>([&] { reshape(x, {-1, -1}); }, {"reshape", "-1"}));
    EXPECT_TRUE(throws_with<ShapeError>([&] { cat({x, zeros({3, 3})}, 1); }, {"cat", "tensor 1", "(3, 3)"}));
    EXPECT_TRUE(throws_with<ValueError>([&] { cat(std::vector<Tensor>{}, 0); }, {"cat"}));
    EXPECT_TRUE(throws_with<ShapeError>([&] { stack({x, zeros({3, 2})}); }, {"stack", "(3, 2)"}));
    EXPECT_TRUE(throws_with<ShapeError>([&] { t(zeros({2, 2, 2})); }, {"t:", "(2, 2, 2)"}));
}

TEST(Errors, EmptyShapesWork) {
    // Zero-size tensors are valid: ops keep their shapes and gradients have the right size.
    Tensor e = zeros({0, 3}).requires_grad_();
    Tensor w = ones({3, 2}).requires_grad_();
    Tensor y = matmul(e, w);
    EXPECT_EQ(y.shape(), (Shape{0, 2}));
    sum(y).backward();
    EXPECT_EQ(e.grad().data().shape(), (Shape{0, 3}));
    EXPECT_TRUE(testing::all_close(w.grad().data(), Array{{0, 0}, {0, 0}, {0, 0}}));
    EXPECT_EQ(index_select(zeros({4, 2}), 0, IdArray::from_shape({0})).shape(), (Shape{0, 2}));
    EXPECT_EQ(softmax(zeros({0, 5}), 1).shape(), (Shape{0, 5}));
}

// Every op on a zero-size input: a result of the right (empty) shape, and a backward that gives the
// input a gradient of its own shape. The reductions follow PyTorch: sum 0, mean nan.
TEST(Errors, EveryOpRunsForwardAndBackwardOnEmptyInput) {
    using Op = std::function<Tensor(const Tensor&)>;
    const std::vector<std::pair<const char*, Op>> ops = {
        {"add", [](const Tensor& x) { return x + x; }},           {"sub", [](const Tensor& x) { return x - 1.0f; }},
        {"mul", [](const Tensor& x) { return x * x; }},           {"div", [](const Tensor& x) { return x / 2.0f; }},
        {"rdiv", [](const Tensor& x) { return 1.0f / x; }},       {"neg", [](const Tensor& x) { return -x; }},
        {"pow", [](const Tensor& x) { return pow(x, 2.0f); }},    {"exp", [](const Tensor& x) { return exp(x); }},
        {"log", [](const Tensor& x) { return log(x); }},          {"tanh", [](const Tensor& x) { return tanh(x); }},
        {"sigmoid", [](const Tensor& x) { return sigmoid(x); }},  {"relu", [](const Tensor& x) { return relu(x); }},
        {"clone", [](const Tensor& x) { return clone(x); }},      {"transpose", [](const Tensor& x) { return transpose(x, 0, 1); }},
        {"reshape", [](const Tensor& x) { return reshape(x, {-1, 5}); }},
        {"unsqueeze", [](const Tensor& x) { return unsqueeze(x, 0); }},
        {"cat", [](const Tensor& x) { return cat({x, x}, 0); }},  {"stack", [](const Tensor& x) { return stack({x, x}); }},
        {"softmax", [](const Tensor& x) { return softmax(x, 1); }},
        {"log_softmax", [](const Tensor& x) { return log_softmax(x, 1); }},
        {"max", [](const Tensor& x) { return max(x, 1).values; }},
        {"sum dim", [](const Tensor& x) { return sum(x, {0}); }}, {"mean dim", [](const Tensor& x) { return mean(x, {1}); }},
        {"matmul", [](const Tensor& x) { return matmul(x, ones({5, 3})); }},
        {"index_select", [](const Tensor& x) { return index_select(x, 0, IdArray::from_shape({0})); }},
    };
    for (const auto& [name, op] : ops) {
        SCOPED_TRACE(name);
        Tensor x = zeros({0, 5}).requires_grad_();
        Tensor y = op(x);
        ASSERT_NO_THROW(sum(y).backward());
        EXPECT_EQ(x.grad().data().shape(), (Shape{0, 5}));
        EXPECT_EQ(y.numel(), std::string(name) == "sum dim" ? 5u : 0u);
    }
    EXPECT_EQ(sum(zeros({0, 5})).item(), 0.0f);
    EXPECT_TRUE(std::isnan(mean(zeros({0, 5})).item()));
}

TEST(Errors, OutOfMemoryNamesTheOpTheShapeAndTheBytes) {
    // the op, the shape and the bytes (400 GB is more than the machines this runs on have)
    EXPECT_TRUE(throws_with<ValueError>([] { matmul(ones({100000, 1}), ones({1, 1000000})); },
                                        {"matmul: cannot allocate 400000000000 bytes for shape (100000, 1000000)"}));
    EXPECT_TRUE(throws_with<ValueError>([] { arange(0.0f, 1e11f); }, {"arange: cannot allocate 399999991808 bytes for shape (99999997952)"}));
    EXPECT_TRUE(throws_with<ValueError>([] { arange(0.0f, 1e30f); }, {"arange: 0 -> 1e+30 by 1", "too many"}));
    EXPECT_TRUE(throws_with<ValueError>([] { linspace(0.0f, 1.0f, 100000000000L); }, {"linspace: cannot allocate"}));
    // the nn functions too: with dropout, attention keeps its (1, 1, 300000, 300000) mask, 360 GB
    EXPECT_TRUE(throws_with<ValueError>([] {
        const Tensor q = zeros({1, 1, 300000, 1});
        nn::scaled_dot_product_attention(q, q, q, 0.1);
    }, {"scaled_dot_product_attention: cannot allocate 360000000000 bytes for shape (1, 1, 300000, 300000)"}));
    try {  // what an allocation outside an op's result (an expression's temporary) throws: a bad_alloc naming the bytes
        Array a = Array::from_shape({100000000000UL});
        ADD_FAILURE() << "allocated 400 GB";
    } catch (const OutOfMemory& e) {
        EXPECT_EQ(e.bytes(), 400000000000UL);
        EXPECT_NE(std::string(e.what()).find("out of memory: cannot allocate 400000000000 bytes (372.5 GiB)"), std::string::npos) << e.what();
    }
}

}  // namespace
}  // namespace xgrad
