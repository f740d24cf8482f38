// The assembler's .incbin copies the two files into the object's read-only data between a begin and an
// end label (XGRAD_GPT2_DIR is data/gpt2 of the source tree; CMake rebuilds this file when they change).
#include "text/gpt2_data.hpp"

__asm__(".section .rodata\n"
        ".balign 16\n"
        "xgrad_gpt2_encoder_json_begin:\n"
        ".incbin \"" XGRAD_GPT2_DIR "/encoder.json\"\n"
        "xgrad_gpt2_encoder_json_end:\n"
        ".balign 16\n"
        "xgrad_gpt2_vocab_bpe_begin:\n"
        ".incbin \"" XGRAD_GPT2_DIR "/vocab.bpe\"\n"
        "xgrad_gpt2_vocab_bpe_end:\n"
        ".previous\n");

extern "C" const char xgrad_gpt2_encoder_json_begin[], xgrad_gpt2_encoder_json_end[];
extern "C" const char xgrad_gpt2_vocab_bpe_begin[], xgrad_gpt2_vocab_bpe_end[];

namespace xgrad::text {

std::string_view gpt2_encoder_json() {
    return {xgrad_gpt2_encoder_json_begin, static_cast<std::size_t>(xgrad_gpt2_encoder_json_end - xgrad_gpt2_encoder_json_begin)};
}
std::string_view gpt2_vocab_bpe() {
    return {xgrad_gpt2_vocab_bpe_begin, static_cast<std::size_t>(xgrad_gpt2_vocab_bpe_end - xgrad_gpt2_vocab_bpe_begin)};
}

}  // namespace xgrad::text
