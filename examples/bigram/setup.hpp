// Everything the bigram program decides before it trains, from the command line and (with --resume) the
// checkpoint: the text and its pairs, the model, the training options, the files it will write. All of
// it is checked here, so a typo or a file that cannot be written costs no training time.
#pragma once
#include <map>
#include <optional>
#include <string>

#include "args.hpp"
#include "session.hpp"

namespace bigram {

struct Run {
    Session s;
    TrainOptions o;
    Level level = Level::Word;
    std::string level_name;
    std::string corpus;         ///< the training text's path; "" for the lecture's sentence
    std::string corpus_id;      ///< "path, N bytes, fnv1a64 H": what a checkpoint records and a resume checks
    std::size_t n_tokens = 0;
    Pairs valid_pairs;          ///< --valid's pairs of known tokens
    std::optional<int64_t> plot_prev;  ///< the previous token of vectors_prev.svg
    std::map<std::string, std::string> saved;  ///< the resumed checkpoint's options (empty otherwise)

    /// A resumed run keeps the checkpoint's value of `key` unless the command line names `flag`.
    std::string kept(const Args& a, const std::string& flag, const std::string& key, const std::string& value) const;
    /// The options a checkpoint of this run records.
    std::map<std::string, std::string> checkpoint_options(const Args& a) const;
};

/// Reads, builds and checks everything above; throws ValueError/FileError naming the flag or file.
Run prepare(const Args& a);

}  // namespace bigram
