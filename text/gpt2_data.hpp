// GPT-2's encoder.json and vocab.bpe (data/gpt2/, MIT licence), built into the library by
// gpt2_data.cpp, so Tokenizer::gpt2() works wherever the program runs, installed or not.
#pragma once
#include <string_view>

namespace xgrad::text {

std::string_view gpt2_encoder_json();
std::string_view gpt2_vocab_bpe();

}  // namespace xgrad::text
