// libFuzzer target: xgrad::fuzz::check_tokenizer (fuzz/targets.hpp) on each input.
#include "targets.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
    xgrad::fuzz::check_tokenizer(std::string(reinterpret_cast<const char*>(data), size));
    return 0;
}
