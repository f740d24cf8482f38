// xgrad: everything a program needs, in one include.
#pragma once
#include "autograd/gradcheck.hpp"
#include "autograd/ops.hpp"
#include "autograd/tensor.hpp"
#include "tensor/array.hpp"
#include "tensor/error.hpp"
#include "tensor/kernels/threads.hpp"
#include "tensor/print.hpp"
#include "tensor/random.hpp"
#include "nn/nn.hpp"
