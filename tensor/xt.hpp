// The xtensor headers that op implementations use (math, views, reducers). Include it from .cpp files
// only: keeping it out of public headers keeps the compile time of users and tests down.
#pragma once
#include <xtensor/xarray.hpp>
#include <xtensor/xbroadcast.hpp>
#include <xtensor/xbuilder.hpp>
#include <xtensor/xmanipulation.hpp>
#include <xtensor/xmath.hpp>
#include <xtensor/xsort.hpp>
#include <xtensor/xstrided_view.hpp>
#include <xtensor/xview.hpp>

#include "tensor/array.hpp"
