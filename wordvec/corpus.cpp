// Reading a corpus as word2vec.c does (wordvec/batches.hpp's read_corpus).
#include <algorithm>
#include <string_view>
#include <unordered_map>

#include <fmt/format.h>

#include "nn/serialize.hpp"
#include "wordvec/batches.hpp"

namespace xgrad::wordvec::detail {

namespace {

constexpr const char* kEos = "</s>";  // a line break, as word2vec.c reads it

/// Words split on spaces, tabs and line breaks; a line break is also the token "</s>".
template <class Fn>
void for_each_token(const std::string& text, Fn fn) {
    std::size_t i = 0;
    while (i < text.size()) {
        const char c = text[i];
        if (c == '\n') {
            fn(std::string_view(kEos));
            ++i;
        } else if (c == ' ' || c == '\t' || c == '\r') {
            ++i;
        } else {
            const std::size_t j = i;
            while (i < text.size() && text[i] != ' ' && text[i] != '\t' && text[i] != '\r' && text[i] != '\n') ++i;
            fn(std::string_view(text).substr(j, i - j));
        }
    }
}

}  // namespace

Corpus read_corpus(const std::string& path, std::size_t min_count) {
    const std::string text = nn::read_file(path);
    std::unordered_map<std::string_view, std::size_t> count, first;
    for_each_token(text, [&](std::string_view w) {
        if (++count[w] == 1) first[w] = first.size();
    });
    Corpus c;
    std::vector<std::string_view> kept;
    for (const auto& [w, n] : count)
        if (w != kEos && n >= min_count) kept.push_back(w);
    // most frequent first; ties in order of first appearance (word2vec.c's qsort leaves them unordered)
    std::sort(kept.begin(), kept.end(), [&](auto a, auto b) { return count[a] != count[b] ? count[a] > count[b] : first[a] < first[b]; });
    c.words.emplace_back(kEos);
    c.counts.push_back(count.count(kEos) ? count[kEos] : 0);
    for (auto w : kept) c.words.emplace_back(w), c.counts.push_back(count[w]);
    if (c.words.size() < 3) {
        std::size_t top = 0;
        for (const auto& [w, n] : count) top = std::max(top, w == kEos ? 0 : n);
        throw ValueError(fmt::format("word2vec: {}: only {} words occur at least --min-count {} times (the most frequent "
                                     "occurs {} times): lower --min-count or give a longer corpus", path,
                                     c.words.size() - 1, min_count, top));
    }
    std::unordered_map<std::string_view, int32_t> index;
    for (std::size_t i = 0; i < c.words.size(); ++i) index[c.words[i]] = int32_t(i);
    c.ids.reserve(text.size() / 5);
    for_each_token(text, [&](std::string_view w) {
        auto it = index.find(w);
        if (it != index.end()) c.ids.push_back(it->second);  // words out of the vocabulary are skipped
    });
    for (auto n : c.counts) c.train_words += n;
    return c;
}

}  // namespace xgrad::wordvec::detail
