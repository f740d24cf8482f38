// word2vec on xgrad: skip-gram (or CBOW) with negative sampling, as the original tool (Mikolov et al.
// 2013) trains it — the vocabulary of words seen min_count times (a line break is the token "</s>"), most
// frequent first; frequent words dropped at random (keep with probability (√(f/(s·T)) + 1)·(s·T)/f);
// for each word, a window of b ∈ [1, window] words on each side (b drawn per word); noise words drawn
// from the unigram distribution raised to 0.75; the learning rate falling linearly from alpha to
// alpha·1e-4 over all the words of all epochs.
//
// As a network (the lecture's "we train a neural network to create vector embeddings"): two tables,
//   in  = Embedding(V, size) (the word vectors we keep),  out = Embedding(V, size) (starts at zero),
// and for a context word c around a center word w with noise words n_1..n_k:
//   loss = -log σ(in[c]·out[w]) - Σ_j log σ(-in[c]·out[n_j])
//        = binary_cross_entropy_with_logits(in[c]·out[w, n_1..n_k], [1, 0..0]), summed,
// (CBOW: one example per center word, h = the mean of in[c] over its window's words in place of in[c];
// as in word2vec.c, each of those words then gets h's whole gradient, not 1/n of it),
// minimised by SGD on batches of pairs: a step looks up the rows its pairs use, runs the loss and its
// backward on them, and moves only those rows (table[id] −= lr · gradient). word2vec.c updates after
// every pair, from several threads at once without locks; here `readers` readers take the corpus's
// neighbouring chunks, each sees its own updates at once and the others' at the next merge (every
// `merge_every` steps, added reader by reader), so each row's updates come in a fixed order and a seed
// gives the same vectors at any thread count.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "tensor/random.hpp"

#include "wordvec/vectors.hpp"

namespace xgrad::wordvec {

struct Word2VecOptions {
    std::size_t size = 100;       ///< vector dimension
    std::size_t window = 5;       ///< max words on each side
    std::size_t negative = 5;     ///< noise words a pair
    std::size_t min_count = 5;    ///< rarer words are dropped
    double sample = 1e-3;         ///< subsampling threshold (0: none)
    std::size_t iter = 5;         ///< epochs
    double alpha = 0.025;         ///< starting learning rate
    std::size_t batch = 16;       ///< pairs a step, batch/readers from each reader (with skip-gram's striped steps the vectors agree with word2vec.c alike at 2 to 32; bigger steps split better over threads)
    bool cbow = false;            ///< CBOW (a window's mean predicts its center word) instead of skip-gram
    /// The corpus is read by this many readers side by side — cut into chunks of whole sentences (~1000
    /// words), reader r reads chunks r, r + readers, … — and a step takes batch/readers examples from
    /// each (a reader more than a chunk ahead of the slowest waits for the next merge, so together they
    /// go through the text in order). Skip-gram's examples are taken 2·window apart in the text and a
    /// center word's pairs go to consecutive steps, each seeing the last one's update. Up to this many
    /// threads train side by side; the vectors depend on readers, never on the thread count.
    std::size_t readers = 2;
    /// Each reader takes this many steps on its own view — the tables as last merged, plus its own
    /// updates since — before the readers' updates are added to the tables (in reader order). 1: every
    /// step's pairs all see the same tables. More: each reader sees its own updates at once and the
    /// others' later, as word2vec.c's threads do, and the threads meet once every this many steps.
    std::size_t merge_every = 32;
    /// With 2 threads or more: each thread trains on its share of the corpus and updates the tables at
    /// once without locks, as word2vec.c does — faster, but the vectors differ from run to run (not
    /// reproducible). Off: the same vectors at any thread count.
    bool lock_free = false;
    uint64_t seed = 1;
};

/// What train_word2vec reports as it goes: words processed, the current lr, the mean loss of a pair
/// since the last report.
struct Word2VecProgress {
    std::size_t epoch = 0, words_done = 0, words_total = 0;
    double alpha = 0, loss = 0, seconds = 0;
};

struct Word2VecResult {
    KeyedVectors vectors;           ///< the input table, words most frequent first
    std::size_t train_words = 0;    ///< corpus words in the vocabulary (one epoch)
    std::size_t pairs = 0;          ///< examples trained over all epochs: (context, center) pairs; CBOW: windows
    double seconds = 0;
    double final_loss = 0;          ///< the mean pair loss over the last 1% of the words (from the first merge past 99%)
    double reader_lead = 0;         ///< the most one reader was ahead of the slowest at a merge, in chunks (~1000 words)
};

/// word2vec's noise distribution over a vocabulary whose id 0 is "</s>": P(w) ∝ count(w)^0.75, drawn
/// in O(1) by Walker's alias method (one uniform double: its integer part in units of 1/V picks a slot,
/// its fraction the slot's word or the slot's alias). As in word2vec.c, a draw of "</s>" is replaced by
/// a word drawn uniformly from the others.
class NoiseTable {
public:
    /// counts: each word's count, id 0 first ("</s>"); 2 words or more (else ValueError).
    explicit NoiseTable(const std::vector<std::size_t>& counts);
    int32_t sample(Generator& g) const;

private:
    std::vector<double> prob_;    // the chance that slot i gives word i, else alias_[i]
    std::vector<int32_t> alias_;
};

/// Trains on the text file `corpus` (words split on spaces, tabs and line breaks). FileError for a
/// file that cannot be read; ValueError for options out of range or a vocabulary of fewer than 2 words
/// (naming min_count and the most frequent word's count).
Word2VecResult train_word2vec(const std::string& corpus, const Word2VecOptions& options,
                              const std::function<void(const Word2VecProgress&)>& progress = {});

}  // namespace xgrad::wordvec
