// xgrad::nn in one include: modules, functional forms, optimizers, schedules, save/load.
#pragma once
#include "nn/embedding.hpp"
#include "nn/functional.hpp"
#include "nn/linear.hpp"
#include "nn/loss.hpp"
#include "nn/module.hpp"
#include "nn/module_list.hpp"
#include "nn/optim/adam.hpp"
#include "nn/optim/optimizer.hpp"
#include "nn/optim/scheduler.hpp"
#include "nn/optim/sgd.hpp"
#include "nn/sequential.hpp"
#include "nn/serialize.hpp"
