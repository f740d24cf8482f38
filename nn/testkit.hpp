// Helpers for testing a layer of your own, in xgrad's tests or in your project's (installed with the
// library): gradcheck with respect to a module's parameters, and comparison with reference values that
// a PyTorch script wrote to a text file. See docs/writing-a-layer.md.
//
// Reference file format, one array a line:   NAME d0 d1 ... | v0 v1 v2 ...
// (shape, then the values in row-major order; '#' starts a comment line). From Python:
//   print(name, *t.shape, "|", *[repr(float(v)) for v in t.detach().reshape(-1)], file=f)
#pragma once
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "autograd/gradcheck.hpp"
#include "nn/module.hpp"

namespace xgrad::testkit {

/// Checks the gradients of fn() with respect to every parameter of m and every tensor in `inputs` that
/// requires grad, by central finite differences (fn is called again with each value nudged in place).
GradcheckResult gradcheck_module(const nn::Module& m, const std::function<Tensor()>& fn,
                                 const std::vector<Tensor>& inputs = {}, const GradcheckOptions& options = {});

/// Every array of a reference file by name. Throws FileError naming the file and the line that is
/// malformed (a shape that does not match the number of values, a value that is not a number).
std::map<std::string, Array> load_reference_arrays(const std::string& path);

struct Comparison {
    bool ok = true;
    std::string message;  ///< on failure: the shapes, or the first element outside the tolerance
};
/// |got - want| <= atol + rtol·|want| everywhere (NaN equals NaN), shapes equal.
Comparison compare(const Array& got, const Array& want, double atol = 1e-5, double rtol = 1e-5);

}  // namespace xgrad::testkit
