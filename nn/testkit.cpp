// The test helpers of nn/testkit.hpp.
#include "nn/testkit.hpp"

#include <cmath>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

namespace xgrad::testkit {

GradcheckResult gradcheck_module(const nn::Module& m, const std::function<Tensor()>& fn, const std::vector<Tensor>& inputs,
                                 const GradcheckOptions& options) {
    std::vector<Tensor> all = m.parameters();
    all.insert(all.end(), inputs.begin(), inputs.end());
    // gradcheck nudges each tensor's values in place; fn reads them through the module
    return gradcheck([&](const std::vector<Tensor>&) { return fn(); }, all, options);
}

std::map<std::string, Array> load_reference_arrays(const std::string& path) {
    std::ifstream f(path);
    if (!f) throw FileError(fmt::format("reference file {}: cannot open it", path));
    std::map<std::string, Array> out;
    std::string line;
    for (int n = 1; std::getline(f, line); ++n) {
        if (line.empty() || line[0] == '#') continue;
        std::istringstream s(line);
        std::string name, tok;
        s >> name;
        Shape shape;
        bool bar = false;
        while (s >> tok && !(bar = tok == "|")) {
            try {
                shape.push_back(std::stoul(tok));
            } catch (const std::exception&) {
                throw FileError(fmt::format("reference file {}, line {}: \"{}\" is not a size", path, n, tok));
            }
        }
        if (!bar) throw FileError(fmt::format("reference file {}, line {}: no '|' after the shape of {}", path, n, name));
        std::vector<float> vals;
        while (s >> tok) {
            try {
                vals.push_back(std::stof(tok));
            } catch (const std::exception&) {
                throw FileError(fmt::format("reference file {}, line {}: \"{}\" is not a number", path, n, tok));
            }
        }
        if (vals.size() != shape_numel(shape))
            throw FileError(fmt::format("reference file {}, line {}: {} has shape {} but {} values", path, n, name,
                                        shape_str(shape), vals.size()));
        Array a = Array::from_shape(shape);
        std::copy(vals.begin(), vals.end(), a.data());
        out[name] = std::move(a);
    }
    return out;
}

Comparison compare(const Array& got, const Array& want, double atol, double rtol) {
    if (got.shape() != want.shape())
        return {false, fmt::format("shapes differ: {} vs {}", shape_str(got.shape()), shape_str(want.shape()))};
    for (std::size_t i = 0; i < got.size(); ++i) {
        const double a = got.data()[i], b = want.data()[i];
        if (std::isnan(a) && std::isnan(b)) continue;
        if (!(std::abs(a - b) <= atol + rtol * std::abs(b)))
            return {false, fmt::format("element {}: {} vs {} (|diff| {:.3g} > {} + {}·|want|)", i, a, b, std::abs(a - b),
                                       atol, rtol)};
    }
    return {};
}

}  // namespace xgrad::testkit
