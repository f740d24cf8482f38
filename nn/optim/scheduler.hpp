// Learning-rate schedules (closed forms of torch.optim.lr_scheduler). Call step() once per epoch (or
// per optimizer step, as you count); it sets every group's lr from its initial lr.
//   StepLR:             lr = lr0 · gamma^⌊t / step_size⌋
//   CosineAnnealingLR:  lr = eta_min + (lr0 - eta_min) · (1 + cos(π·t / T_max)) / 2
#pragma once
#include <cmath>
#include <numbers>

#include <fmt/format.h>

#include "nn/optim/optimizer.hpp"

namespace xgrad::nn {

class LRScheduler {
public:
    explicit LRScheduler(Optimizer& opt) : opt_(opt) {
        for (std::size_t g = 0; g < opt.num_groups(); ++g) base_.push_back(opt.lr(g));
    }
    virtual ~LRScheduler() = default;
    /// Advances t by one and sets the new learning rates.
    void step() {
        ++t_;
        for (std::size_t g = 0; g < base_.size(); ++g) opt_.set_lr(lr_at(base_[g], t_), g);
    }
    long last_epoch() const { return t_; }
    /// Restores t (for resuming) and sets the learning rates for it.
    void set_last_epoch(long t) {
        t_ = t - 1;
        step();
    }

protected:
    virtual double lr_at(double base, long t) const = 0;

private:
    Optimizer& opt_;
    std::vector<double> base_;
    long t_ = 0;
};

class StepLR : public LRScheduler {
public:
    StepLR(Optimizer& opt, long step_size, double gamma = 0.1) : LRScheduler(opt), step_size_(step_size), gamma_(gamma) {
        if (step_size <= 0) throw ValueError(fmt::format("StepLR: step_size must be > 0, got {}", step_size));
    }

protected:
    double lr_at(double base, long t) const override { return base * std::pow(gamma_, double(t / step_size_)); }

private:
    long step_size_;
    double gamma_;
};

class CosineAnnealingLR : public LRScheduler {
public:
    CosineAnnealingLR(Optimizer& opt, long T_max, double eta_min = 0.0)
        : LRScheduler(opt), T_max_(T_max), eta_min_(Optimizer::checked_lr(eta_min, "CosineAnnealingLR: eta_min")) {
        if (T_max <= 0) throw ValueError(fmt::format("CosineAnnealingLR: T_max must be > 0, got {}", T_max));
    }

protected:
    double lr_at(double base, long t) const override {
        return eta_min_ + (base - eta_min_) * (1 + std::cos(std::numbers::pi * double(t) / double(T_max_))) / 2;
    }

private:
    long T_max_;
    double eta_min_;
};

}  // namespace xgrad::nn
