// Reads the reference files in tests/reference/ (written by the make_*reference.py scripts there):
// records "case NAME" ... "end" of inputs, outputs and gradients computed by PyTorch.
#pragma once
#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "helpers.hpp"
#include "xgrad.hpp"

namespace xgrad::testing {

struct RefCase {
    std::map<std::string, Array> in, grad, after;
    std::map<std::string, IdArray> ids;
    std::map<std::string, double> scalar;
    std::map<std::string, std::vector<double>> list;  // "u64 ...", "lrs ..." lines
    Array out, dout;
    IdArray outids;
    bool has_dout = false;
};

// "d0 d1 ... | v v v" → an array of that shape.
template <class T>
xt::xarray<T> parse_ref_array(std::istringstream& line) {
    std::vector<std::size_t> shape;
    std::string tok;
    while (line >> tok && tok != "|") shape.push_back(std::stoul(tok));
    std::vector<T> vals;
    for (std::string v; line >> v;) vals.push_back(static_cast<T>(std::stod(v)));
    xt::xarray<T> a = xt::xarray<T>::from_shape(shape);
    EXPECT_EQ(vals.size(), a.size());
    std::copy(vals.begin(), vals.begin() + std::min(vals.size(), a.size()), a.begin());
    return a;
}

inline std::map<std::string, RefCase> load_reference(const std::string& file) {
    const std::string path = std::string(XGRAD_TEST_DATA) + "/" + file;
    std::ifstream f(path);
    EXPECT_TRUE(f.good()) << "cannot open " << path;
    std::map<std::string, RefCase> cases;
    std::string line, name;
    while (std::getline(f, line)) {
        std::istringstream s(line);
        std::string kind, key;
        s >> kind;
        RefCase& c = cases[name];
        if (kind == "case") s >> name;
        else if (kind == "in") s >> key, c.in[key] = parse_ref_array<float>(s);
        else if (kind == "ids") s >> key, c.ids[key] = parse_ref_array<int64_t>(s);
        else if (kind == "grad") s >> key, c.grad[key] = parse_ref_array<float>(s);
        else if (kind == "after") s >> key, c.after[key] = parse_ref_array<float>(s);
        else if (kind == "out") c.out = parse_ref_array<float>(s);
        else if (kind == "outids") c.outids = parse_ref_array<int64_t>(s);
        else if (kind == "dout") c.dout = parse_ref_array<float>(s), c.has_dout = true;
        else if (kind == "scalar") {
            std::string v;
            s >> key >> v;
            c.scalar[key] = std::stod(v);
        } else if (kind == "u64" || kind == "lrs")
            for (std::string v; s >> v;) c.list[kind].push_back(std::stod(v));
    }
    return cases;
}

/// The cases of a reference file, read once per file and kept.
inline const std::map<std::string, RefCase>& reference_cases(const std::string& file) {
    static std::map<std::string, std::map<std::string, RefCase>> cache;
    auto it = cache.find(file);
    if (it == cache.end()) it = cache.emplace(file, load_reference(file)).first;
    return it->second;
}

using RefInputs = std::map<std::string, Tensor>;
using RefIds = std::map<std::string, IdArray>;

/// Runs case `name` of `cases`: builds its inputs as leaves, applies fn, compares the output (and the
/// indices, if the case has them, through *indices), backpropagates the stored dout and compares
/// every input's gradient.
inline void check_case(const std::map<std::string, RefCase>& cases, const std::string& name,
                       const std::function<Tensor(RefInputs&, const RefIds&)>& fn, const IdArray* indices = nullptr,
                       double atol = 1e-5, double rtol = 1e-4) {
    SCOPED_TRACE(name);
    ASSERT_TRUE(cases.count(name)) << "case " << name << " is missing from the reference file";
    const RefCase& c = cases.at(name);
    RefInputs in;
    for (const auto& [k, v] : c.in) in[k] = Tensor(v, true);
    Tensor y = fn(in, c.ids);
    EXPECT_TRUE(all_close(y, c.out, atol, atol)) << "forward of " << name;
    if (indices) EXPECT_EQ(*indices, c.outids) << "indices of " << name;
    if (!c.has_dout) return;
    y.backward({.grad = c.dout});
    for (const auto& [k, g] : c.grad) {
        Array mine = in[k].has_grad() ? in[k].grad().data() : full_array(in[k].shape(), 0.0f);
        EXPECT_TRUE(all_close(mine, g, atol, rtol)) << "gradient of " << k << " in " << name;
    }
}

}  // namespace xgrad::testing
