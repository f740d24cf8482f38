// Exceptions thrown by xgrad. Every message names the op and the shapes, ids or values at fault,
// e.g. "matmul: shapes (3, 4) and (5, 2) cannot be multiplied".
#pragma once
#include <cstddef>
#include <new>
#include <stdexcept>
#include <string>

namespace xgrad {

/// Base of every error xgrad throws.
struct Error : std::runtime_error {
    using std::runtime_error::runtime_error;
};
/// Shapes that do not fit the op (mismatched, wrong rank, empty where not allowed).
struct ShapeError : Error {
    using Error::Error;
};
/// An id or index outside its valid range.
struct IndexError : Error {
    using Error::Error;
};
/// A bad argument value or a misuse of autograd.
struct ValueError : Error {
    using Error::Error;
};
/// A file that cannot be read or written, or whose contents are not what they claim (names the file).
struct FileError : Error {
    using Error::Error;
};

/// Memory the system could not give, with the bytes asked for: "out of memory: cannot allocate
/// 400000000000 bytes (372.5 GiB)". A std::bad_alloc (what allocators throw), so code that catches one
/// catches it; an op that allocates its result names itself and the shape (new_array's ValueError).
class OutOfMemory : public std::bad_alloc {
public:
    explicit OutOfMemory(std::size_t bytes);
    const char* what() const noexcept override { return what_.c_str(); }
    std::size_t bytes() const { return bytes_; }

private:
    std::size_t bytes_;
    std::string what_;
};

}  // namespace xgrad
