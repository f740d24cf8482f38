// A user's program on the installed libraries beside the core: GPT-2's tokenizer (xgrad::text, its
// vocabulary built in, so no data file is needed where the program runs) and word vectors (xgrad::wordvec).
#include <cstdio>
#include <vector>

#include <text/tokenizer.hpp>
#include <wordvec/wordvec.hpp>

int main() {
    const auto tok = xgrad::text::Tokenizer::gpt2();
    const auto ids = tok.encode("Hello, I am");
    const bool text_ok = ids == std::vector<xgrad::text::Token>{15496, 11, 314, 716} && tok.decode(ids) == "Hello, I am";
    std::printf("downstream: gpt2 tokenizer: %s\n", text_ok ? "ok" : "WRONG");
    const xgrad::wordvec::KeyedVectors kv({"king", "queen", "apple"}, {1, 0, 0.9f, 0.1f, 0, 1}, 2);
    const auto near = kv.most_similar({"king"}, {}, 1);
    const bool vec_ok = near.size() == 1 && near[0].word == "queen";
    std::printf("downstream: word vectors: %s\n", vec_ok ? "ok" : "WRONG");
    return text_ok && vec_ok ? 0 : 1;
}
