// The differentiable ops. Each is one function in autograd/ops/<family>.cpp that computes its result
// and records its backward. Broadcasting follows numpy; a broadcast input's gradient is summed back to
// its shape. Dims may be negative (counted from the end). Errors name the op and the shapes or values.
#pragma once
#include <optional>
#include <vector>

#include "autograd/tensor.hpp"

namespace xgrad {

// --- elementwise (ops/elementwise.cpp) ----------------------------------------------------------
Tensor add(const Tensor& a, const Tensor& b);  ///< a + b       da = dy, db = dy (summed to shape)
Tensor sub(const Tensor& a, const Tensor& b);  ///< a - b       da = dy, db = -dy
Tensor mul(const Tensor& a, const Tensor& b);  ///< a * b       da = dy*b, db = dy*a
Tensor div(const Tensor& a, const Tensor& b);  ///< a / b       da = dy/b, db = -dy*a/b²
Tensor neg(const Tensor& x);                   ///< -x
Tensor add(const Tensor& x, float s);          ///< x + s
Tensor mul(const Tensor& x, float s);          ///< x * s
Tensor div(const Tensor& x, float s);          ///< x / s
Tensor rdiv(float s, const Tensor& x);         ///< s / x       dx = -dy*s/x²
Tensor pow(const Tensor& x, float p);          ///< x^p         dx = dy*p*x^(p-1)
Tensor exp(const Tensor& x);                   ///< e^x         dx = dy*y
Tensor log(const Tensor& x);                   ///< ln x        dx = dy/x   (x <= 0 gives nan/-inf, as PyTorch)
Tensor tanh(const Tensor& x);                  ///< tanh x      dx = dy*(1-y²)
Tensor sigmoid(const Tensor& x);               ///< 1/(1+e^-x)  dx = dy*y*(1-y)
Tensor relu(const Tensor& x);                  ///< max(x, 0)   dx = dy*[x>0]
Tensor clone(const Tensor& x);                 ///< a copy that stays in the graph: dx = dy
Tensor sqrt(const Tensor& x);                  ///< √x          dx = dy/(2y)
Tensor rsqrt(const Tensor& x);                 ///< 1/√x        dx = -dy*y³/2
Tensor abs(const Tensor& x);                   ///< |x|         dx = dy*sign(x)
Tensor erf(const Tensor& x);                   ///< erf x       dx = dy*2/√π*e^(-x²)
/// min(max(x, min), max); either bound may be left out (std::nullopt). dx = dy where min <= x <= max.
Tensor clamp(const Tensor& x, std::optional<float> min, std::optional<float> max = std::nullopt);

// --- comparisons and masks (ops/mask.cpp) ---------------------------------------------------------
// Comparisons give 1.0 where true and 0.0 where false (xgrad has no bool dtype; any non-zero value
// counts as true where a mask is taken), broadcasting, with no gradient.
Tensor eq(const Tensor& a, const Tensor& b);
Tensor ne(const Tensor& a, const Tensor& b);
Tensor lt(const Tensor& a, const Tensor& b);
Tensor le(const Tensor& a, const Tensor& b);
Tensor gt(const Tensor& a, const Tensor& b);
Tensor ge(const Tensor& a, const Tensor& b);
Tensor eq(const Tensor& a, float b);
Tensor ne(const Tensor& a, float b);
Tensor lt(const Tensor& a, float b);
Tensor le(const Tensor& a, float b);
Tensor gt(const Tensor& a, float b);
Tensor ge(const Tensor& a, float b);
/// y = cond ? a : b, all three broadcast together.   da = dy where cond, db = dy elsewhere (summed to shape)
Tensor where(const Tensor& condition, const Tensor& a, const Tensor& b);
/// y = mask ? value : x; the mask must broadcast to x's shape.   dx = dy where the mask is 0
/// (x.masked_fill(tril[:T, :T] == 0, -inf) is masked_fill(x, eq(tril, 0), -INFINITY)).
Tensor masked_fill(const Tensor& x, const Tensor& mask, float value);
/// The lower (tril) / upper (triu) triangle of the last two dims: y[..., i, j] = x[..., i, j] where
/// j - i <= diagonal (tril) or j - i >= diagonal (triu), else 0.   dx = dy on the kept triangle
Tensor tril(const Tensor& x, long diagonal = 0);
Tensor triu(const Tensor& x, long diagonal = 0);

inline Tensor operator+(const Tensor& a, const Tensor& b) { return add(a, b); }
inline Tensor operator-(const Tensor& a, const Tensor& b) { return sub(a, b); }
inline Tensor operator*(const Tensor& a, const Tensor& b) { return mul(a, b); }
inline Tensor operator/(const Tensor& a, const Tensor& b) { return div(a, b); }
inline Tensor operator-(const Tensor& x) { return neg(x); }
inline Tensor operator+(const Tensor& x, float s) { return add(x, s); }
inline Tensor operator+(float s, const Tensor& x) { return add(x, s); }
inline Tensor operator-(const Tensor& x, float s) { return add(x, -s); }
inline Tensor operator-(float s, const Tensor& x) { return add(neg(x), s); }
inline Tensor operator*(const Tensor& x, float s) { return mul(x, s); }
inline Tensor operator*(float s, const Tensor& x) { return mul(x, s); }
inline Tensor operator/(const Tensor& x, float s) { return div(x, s); }
inline Tensor operator/(float s, const Tensor& x) { return rdiv(s, x); }

// --- reductions (ops/reduce.cpp) ------------------------------------------------------------------
Tensor sum(const Tensor& x);                                                  ///< Σ all → shape ()
Tensor sum(const Tensor& x, const std::vector<int>& dims, bool keepdim = false);
Tensor mean(const Tensor& x);                                                 ///< Σ all / n → shape ()
Tensor mean(const Tensor& x, const std::vector<int>& dims, bool keepdim = false);
struct ValuesIndices {
    Tensor values;    ///< the maxima; differentiable (the gradient goes to the index returned)
    IdArray indices;  ///< where they are (the first one on ties)
};
/// Max over one dim: (values, indices), like torch.max(x, dim, keepdim).
ValuesIndices max(const Tensor& x, int dim, bool keepdim = false);
/// Variance over dims (none given: all of them), Σ (x - mean)² / (n - 1) (unbiased) or / n.
///   dx = dy·2(x - mean)/(n - 1 or n).   var(x) is torch.var(x); var(x, {-1}, false, true) is
///   x.var(-1, unbiased=False, keepdim=True).
Tensor var(const Tensor& x, const std::vector<int>& dims = {}, bool unbiased = true, bool keepdim = false);
/// Standard deviation: √var (same arguments).
Tensor std(const Tensor& x, const std::vector<int>& dims = {}, bool unbiased = true, bool keepdim = false);
/// Index of the maximum over dim (the first on ties), or of the flattened tensor (shape ()).
IdArray argmax(const Tensor& x, int dim, bool keepdim = false);
IdArray argmax(const Tensor& x);
/// The k largest (largest = false: smallest) entries over dim, in order, ties to the lower index:
/// (values, indices), (…, k, …). values is differentiable. k outside [0, n] throws IndexError.
ValuesIndices topk(const Tensor& x, long k, int dim = -1, bool largest = true, bool sorted = true);

// --- matmul (ops/matmul.cpp) ---------------------------------------------------------------------
/// (n,k)·(k,m) → (n,m); batched (...,n,k)·(...,k,m) with broadcast batch dims; 1-D operands as in
/// torch.matmul (a vector is a row on the left, a column on the right, and its dim is dropped).
/// dA = dY·Bᵀ, dB = Aᵀ·dY (summed over broadcast batch dims).
Tensor matmul(const Tensor& a, const Tensor& b);
/// Σ_d x[..., d]·y[..., d] over `dim`, x and y broadcast together (torch.linalg.vecdot): (B, K, D)
/// and (B, 1, D) → (B, K), a score for each of K rows against its batch's vector. dx = dy·y, dy = dy·x.
Tensor vecdot(const Tensor& x, const Tensor& y, int dim = -1);
/// Σ_i a_i·b_i of two 1-D tensors of one length (torch.dot) → shape (). da = dy·b, db = dy·a.
Tensor dot(const Tensor& a, const Tensor& b);

// --- shapes (ops/shape.cpp) ----------------------------------------------------------------------
// NOTE: PyTorch's reshape/view/transpose/unsqueeze/squeeze return views that alias their input; xgrad's
// arrays own their data, so these return copies: writing into the result never changes the input.
/// Same data, new shape; one entry may be -1 (inferred). Gradient reshaped back.
Tensor reshape(const Tensor& x, const std::vector<long>& shape);
/// As reshape. NOTE: xgrad arrays own their data, so a view is a copy: writing to it does not change x.
Tensor view(const Tensor& x, const std::vector<long>& shape);
/// Swaps dims d0 and d1.
Tensor transpose(const Tensor& x, int d0, int d1);
/// y's dim i is x's dim dims[i] (each dim once, negative counts from the end), as torch.permute;
/// the result is a copy. (B, T, H, hd).permute({0, 2, 1, 3}) → (B, H, T, hd).
Tensor permute(const Tensor& x, const std::vector<int>& dims);
/// Transpose of a matrix (a 0-D or 1-D tensor is returned as is, like torch.t).
Tensor t(const Tensor& x);
/// Inserts a dim of size 1 at `dim`; removes one.
Tensor unsqueeze(const Tensor& x, int dim);
Tensor squeeze(const Tensor& x, int dim);
/// Joins tensors along an existing dim (other dims must match); the gradient is split back.
Tensor cat(const std::vector<Tensor>& xs, int dim = 0);
/// Joins tensors of one shape along a new dim.
Tensor stack(const std::vector<Tensor>& xs, int dim = 0);

// --- slicing (ops/slice.cpp) ------------------------------------------------------------------
// NOTE: PyTorch returns views that alias x; these return copies (writing to one never changes x).
// Gradients flow back exactly as through PyTorch's views. Each also slices an IdArray (no gradient).

/// start:stop:step of Python; an absent bound (None) means the end of the dim, negatives count from
/// the end, bounds past the end are clamped, step > 0.
struct Slice {
    std::optional<long> start, stop;
    long step = 1;
    Slice(std::optional<long> start = std::nullopt, std::optional<long> stop = std::nullopt, long step = 1)
        : start(start), stop(stop), step(step) {}
};
/// None: a new dim of size 1 in index(), and an absent bound in Slice (as libtorch's indexing::None).
inline constexpr std::nullopt_t None = std::nullopt;
struct EllipsisIndex {};
/// ...: as many whole dims as the other entries leave.
inline constexpr EllipsisIndex Ellipsis{};
/// One entry of index(): an integer (that dim is removed), a Slice, None or Ellipsis.
struct TensorIndex {
    enum class Kind { integer, slice, none, ellipsis };
    Kind kind;
    long integer = 0;
    Slice slice;
    TensorIndex(long i) : kind(Kind::integer), integer(i) {}  // NOLINT: implicit, as x[1]
    TensorIndex(int i) : kind(Kind::integer), integer(i) {}   // NOLINT
    TensorIndex(Slice s) : kind(Kind::slice), slice(s) {}     // NOLINT
    TensorIndex(std::nullopt_t) : kind(Kind::none) {}          // NOLINT
    TensorIndex(EllipsisIndex) : kind(Kind::ellipsis) {}       // NOLINT
};

/// x[..., start:stop:step, ...] along `dim`.
Tensor slice(const Tensor& x, int dim, std::optional<long> start = std::nullopt, std::optional<long> stop = std::nullopt,
             long step = 1);
/// x[..., start:start+length, ...]; the range must fit inside the dim (IndexError otherwise).
Tensor narrow(const Tensor& x, int dim, long start, long length);
/// x[..., index, ...], the dim removed.
Tensor select(const Tensor& x, int dim, long index);
/// Pieces of `split_size` along dim (the last may be smaller), or of exactly the given sizes.
std::vector<Tensor> split(const Tensor& x, long split_size, int dim = 0);
std::vector<Tensor> split(const Tensor& x, const std::vector<long>& sizes, int dim = 0);
/// `chunks` pieces of ceil(n / chunks) along dim (as torch.chunk).
std::vector<Tensor> chunk(const Tensor& x, long chunks, int dim = 0);
/// Python's indexing: x[:, -1, :] is index(x, {Slice(), -1, Slice()}); mask[:T, :T] is
/// index(mask, {Slice(None, T), Slice(None, T)}); x[..., None] is index(x, {Ellipsis, None}).
Tensor index(const Tensor& x, std::initializer_list<TensorIndex> indices);
IdArray slice(const IdArray& ids, int dim, std::optional<long> start = std::nullopt,
              std::optional<long> stop = std::nullopt, long step = 1);
IdArray select(const IdArray& ids, int dim, long index);
/// idx[:, -block:] is index(idx, {Slice(), Slice(-block, None)}).
IdArray index(const IdArray& ids, std::initializer_list<TensorIndex> indices);

// --- indexing (ops/index.cpp) ---------------------------------------------------------------------
/// y[i, ...] = x[ids[i], ...] along dim 0 (x: (V, ...), ids: (n) → y: (n, ...)). The backward is a
/// scatter-add in which repeated ids add up. Ids outside [0, V) throw IndexError naming the id,
/// its position and the range.
Tensor index_select(const Tensor& x, int dim, const IdArray& ids);
/// one_hot(ids, C): ids of any shape → float (..., C), 1 at each id. No gradient. C = -1 means
/// max(ids) + 1. Ids outside [0, C) throw IndexError.
Tensor one_hot(const IdArray& ids, long num_classes = -1);
/// Checks that every id lies in [0, n); throws IndexError "<op>: id 9 at position (1, 2) is out of
/// range [0, 8)". Shared by every path that takes ids, so the message is the same everywhere.
void check_ids(const IdArray& ids, std::size_t n, const char* op);
/// y[i][j][k] = x[i][index[i][j][k]][k] for dim 1 (and likewise for any dim); index has x's rank and
/// no larger size than x on the other dims; y has index's shape. dx: scatter-add of dy (repeats add up).
Tensor gather(const Tensor& x, int dim, const IdArray& index);

// --- token ids (ops/ids.cpp) ---------------------------------------------------------------------
// IdArray (int64) is xgrad's integer type: token ids, positions, class targets, sampled ids. These
// build and edit them as PyTorch's integer tensors do (slice/select/index above take them too).
/// [0, 1, …, end-1] and [start, start+step, …) below end, as torch.arange with integers.
IdArray arange_ids(int64_t end);
IdArray arange_ids(int64_t start, int64_t end, int64_t step = 1);
/// An id array of `shape` filled with `value` (torch.full(shape, value) of integers; [[ix]] is
/// full_ids({1, 1}, ix)).
IdArray full_ids(const Sizes& shape, int64_t value);
/// Occurrences of each value 0 … max(x) (at least minlength of them) in 1-D non-negative ids (torch.bincount);
/// a negative id is a ValueError naming it and its position.
IdArray bincount(const IdArray& x, long minlength = 0);
/// The same with weights (x's length): out[v] = Σ weights[i] over x[i] = v (float, no gradient).
Tensor bincount(const IdArray& x, const Tensor& weights, long minlength = 0);
/// Uniform integers in [low, high) (or [0, high)) of `shape`, from `gen` (torch.randint).
IdArray randint(int64_t low, int64_t high, const Sizes& shape, Generator& gen = default_generator());
IdArray randint(int64_t high, const Sizes& shape, Generator& gen = default_generator());
/// A random permutation of [0, n) (torch.randperm).
IdArray randperm(int64_t n, Generator& gen = default_generator());
/// cat / stack / index_select for id arrays: torch.cat((idx, idx_next), 1), torch.stack(rows), X[ix].
IdArray cat(const std::vector<IdArray>& xs, int dim = 0);
IdArray stack(const std::vector<IdArray>& xs, int dim = 0);
IdArray index_select(const IdArray& x, int dim, const IdArray& ids);
/// The same ids in a new shape (one entry may be -1), as targets.view(B*T).
IdArray reshape(const IdArray& ids, const std::vector<long>& shape);
/// The ids as float32 values (x.float()).
Tensor to_float(const IdArray& ids);

// --- sampling (ops/sample.cpp) --------------------------------------------------------------------
/// Draws num_samples category ids per row of probs (C) → (num_samples) or (B, C) → (B, num_samples),
/// with probability proportional to the row's weights (they need not sum to 1), from `gen`. Without
/// replacement a drawn category is not drawn again. Negative, inf or NaN weights, a row of zeros, or
/// more samples than non-zero categories without replacement throw ValueError naming the row.
/// The draws are torch.multinomial's: with replacement (and more than one sample) by the inverse of
/// each row's cumulative weights; otherwise by an exponential race (the ids of the largest w / Exp(1)).
IdArray multinomial(const Tensor& probs, long num_samples, bool replacement = false,
                    Generator& gen = default_generator());

// --- softmax (ops/softmax.cpp) --------------------------------------------------------------------
/// y = exp(x - max) / Σ exp(x - max) over `dim`.       dx = y * (dy - Σ dy*y)
Tensor softmax(const Tensor& x, int dim);
/// y = x - max - log Σ exp(x - max) over `dim`.         dx = dy - softmax(x) * Σ dy
Tensor log_softmax(const Tensor& x, int dim);

/// Normalises a possibly negative dim against `rank`; throws IndexError naming the op.
std::size_t normalize_dim(int dim, std::size_t rank, const char* op);

}  // namespace xgrad
