// word2vec on xgrad (wordvec/word2vec.hpp): the vocabulary as word2vec.c builds it, vectors that
// learn a corpus's structure, the same bits at any thread count, and named errors.
#include <cmath>
#include <filesystem>
#include <fstream>

#include "helpers.hpp"
#include "wordvec/batches.hpp"
#include "wordvec/wordvec.hpp"

namespace xgrad {
namespace {

namespace fs = std::filesystem;

std::string write_corpus(const std::string& name, const std::string& text) {
    const fs::path p = fs::temp_directory_path() / ("xgrad_w2v_" + std::to_string(::getpid()) + "_" + name);
    std::ofstream(p) << text;
    return p.string();
}

// Two topics: each line holds 12 words of one topic (a0..a9 or b0..b9), the topic and words drawn at random.
std::string two_topics(std::size_t lines, uint64_t seed) {
    Generator g(seed);
    std::string text;
    for (std::size_t l = 0; l < lines; ++l) {
        const char topic = g.random() % 2 ? 'a' : 'b';
        for (int w = 0; w < 12; ++w) text += fmt::format("{}{}{}", w ? " " : "", topic, g.random() % 10);
        text += '\n';
    }
    return text;
}

// Of the 5 nearest words of each of the 20 words, how many share its topic ("a…" or "b…"), and of how many.
std::pair<int, int> same_topic_neighbours(const wordvec::KeyedVectors& kv) {
    int same = 0, total = 0;
    for (int i = 0; i < 10; ++i)
        for (char topic : {'a', 'b'})
            for (const auto& s : kv.most_similar({fmt::format("{}{}", topic, i)}, {}, 5)) {
                same += s.word[0] == topic;
                ++total;
            }
    return {same, total};
}

wordvec::Word2VecOptions small() {
    wordvec::Word2VecOptions o;
    o.size = 16, o.window = 3, o.min_count = 1, o.sample = 0, o.iter = 3, o.batch = 256, o.seed = 7;
    return o;
}

TEST(Word2Vec, BuildsWord2vecsVocabulary) {
    // "</s>" (a line break) first, then by count; words under min_count dropped; train_words = Σ counts kept
    const auto path = write_corpus("vocab", "a b b\nc a b\nd d\n");
    auto o = small();
    o.min_count = 2;
    const auto r = wordvec::train_word2vec(path, o);
    EXPECT_EQ(r.vectors.words(), (std::vector<std::string>{"</s>", "b", "a", "d"}));
    EXPECT_EQ(r.train_words, 3u + 3u + 2u + 2u);
    EXPECT_EQ(r.vectors.dim(), 16u);
    fs::remove(path);
}

TEST(Word2Vec, LearnsWhichWordsShareContexts) {
    const auto path = write_corpus("topics", two_topics(1500, 3));
    const auto r = wordvec::train_word2vec(path, small());
    const auto [same, total] = same_topic_neighbours(r.vectors);
    EXPECT_GE(same, total * 9 / 10) << same << " of " << total << " nearest words share the topic";
    EXPECT_GT(r.vectors.similarity("a1", "a2"), r.vectors.similarity("a1", "b2") + 0.3);
    // the loss of a pair (1 true, 5 noise words) started at 6·ln 2 = 4.16
    EXPECT_LT(r.final_loss, 3.0);
    EXPECT_GT(r.pairs, 1500u * 12u * 3u);
    fs::remove(path);
}

TEST(Word2Vec, TheSameVectorsAtAnyThreadCountAndForASeed) {
    const auto path = write_corpus("threads", two_topics(300, 4));
    const int old = num_threads();
    set_num_threads(1);
    const auto one = wordvec::train_word2vec(path, small());
    set_num_threads(2);
    const auto two = wordvec::train_word2vec(path, small());
    EXPECT_EQ(one.vectors.vectors(), two.vectors.vectors());
    EXPECT_EQ(one.final_loss, two.final_loss);  // one thread's batch of both readers' rows, or a batch a thread
    // 3 readers (batches of 86, 85 and 85 rows) on 1, 2 (readers 0 and 2 on one thread) and 4 threads
    auto o = small();
    o.readers = 3;
    std::vector<std::vector<float>> three;
    std::vector<double> losses;
    for (int t : {1, 2, 4}) {
        set_num_threads(t);
        const auto r = wordvec::train_word2vec(path, o);
        three.push_back(r.vectors.vectors()), losses.push_back(r.final_loss);
    }
    set_num_threads(old);
    EXPECT_EQ(three[0], three[1]);
    EXPECT_EQ(three[0], three[2]);
    EXPECT_EQ(losses[0], losses[1]);
    EXPECT_EQ(losses[0], losses[2]);
    EXPECT_NE(three[0], one.vectors.vectors());  // the readers, not the threads, shape the run
    o = small();
    o.seed = 8;
    EXPECT_NE(wordvec::train_word2vec(path, o).vectors.vectors(), one.vectors.vectors());
    fs::remove(path);
}

TEST(Word2Vec, ReadersThatMergeEveryFewStepsSeeTheirOwnUpdatesAndAreReproducible) {
    const auto path = write_corpus("merge", two_topics(600, 9));
    const int old = num_threads();
    auto o = small();
    o.batch = 4, o.iter = 1;
    // one reader: its view (table + its kept updates) is the table it would have had, updated at once
    // (up to rounding), however rarely it merges
    o.readers = 1;
    set_num_threads(1);
    const auto every = wordvec::train_word2vec(path, o);
    o.merge_every = 1000;
    const auto rarely = wordvec::train_word2vec(path, o);
    EXPECT_NE(every.vectors.vectors(), rarely.vectors.vectors());
    const auto& a = every.vectors.vectors();
    const auto& b = rarely.vectors.vectors();
    double diff = 0, norm = 0;
    for (std::size_t i = 0; i < a.size(); ++i) diff = std::max(diff, double(std::abs(a[i] - b[i]))), norm = std::max(norm, double(std::abs(a[i])));
    EXPECT_LT(diff, 1e-3 * norm) << "largest change " << diff << " of entries up to " << norm;
    // two and three readers merging every 7 steps: the same vectors on 1, 2 and 3 threads, they learn
    o.batch = 16, o.merge_every = 7, o.iter = 3;
    for (std::size_t readers : {2, 3}) {
        o.readers = readers;
        set_num_threads(1);
        const auto one = wordvec::train_word2vec(path, o);
        const auto [same, total] = same_topic_neighbours(one.vectors);
        EXPECT_GE(same, total * 9 / 10) << same << " of " << total << " nearest words share the topic";
        for (int t : {2, 3}) {
            set_num_threads(t);
            const auto r = wordvec::train_word2vec(path, o);
            EXPECT_EQ(r.vectors.vectors(), one.vectors.vectors()) << readers << " readers, " << t << " threads";
            EXPECT_EQ(r.final_loss, one.final_loss);
            EXPECT_EQ(r.pairs, one.pairs);
        }
    }
    set_num_threads(2);  // CBOW too
    o.cbow = true, o.alpha = 0.05, o.readers = 2;
    const auto cbow2 = wordvec::train_word2vec(path, o);
    set_num_threads(1);
    EXPECT_EQ(wordvec::train_word2vec(path, o).vectors.vectors(), cbow2.vectors.vectors());
    set_num_threads(old);
    fs::remove(path);
}

TEST(Word2Vec, CbowLearnsTheTopicsTooAndIsReproducible) {
    const auto path = write_corpus("cbow", two_topics(1500, 5));
    auto o = small();
    o.cbow = true, o.alpha = 0.05, o.batch = 32;  // word2vec.c's CBOW rate; 256 windows of 20 words at once diverge
    const auto r = wordvec::train_word2vec(path, o);
    const auto [same, total] = same_topic_neighbours(r.vectors);
    EXPECT_GE(same, total * 9 / 10) << same << " of " << total << " nearest words share the topic";
    EXPECT_EQ(r.pairs, 1500u * 12u * 3u);  // one example a center word (no subsampling; every word has a window)
    EXPECT_LT(r.final_loss, 3.0);
    const int old = num_threads();
    set_num_threads(2);
    const auto two = wordvec::train_word2vec(path, o);
    set_num_threads(old);
    EXPECT_EQ(r.vectors.vectors(), two.vectors.vectors());
    o.batch = 256, o.merge_every = 1;  // updates too large: a named error, not NaN vectors
    EXPECT_TRUE(testing::throws_with<ValueError>([&] { wordvec::train_word2vec(path, o); }, {"word2vec: the loss became", "--alpha", "--batch (256)"}));
    o.cbow = false, o.batch = 32;  // and it is another model than skip-gram
    EXPECT_NE(wordvec::train_word2vec(path, o).vectors.vectors(), r.vectors.vectors());
    fs::remove(path);
}

TEST(Word2Vec, StripedBatchesHandOutTheSameExamplesWithACentersPairsInDifferentSteps) {
    const auto path = write_corpus("stripes", two_topics(40, 3));
    auto o = small();
    o.iter = 2, o.batch = 4;
    const auto c = wordvec::detail::read_corpus(path, 1);
    const std::vector<double> keep(c.words.size(), 1.0);
    const wordvec::NoiseTable noise(c.counts);
    const std::size_t K = 1 + o.negative, B = o.batch;
    using Row = std::vector<float>;  // context, targets, weights
    auto steps_of = [&](std::size_t stripes) {
        wordvec::detail::BatchMaker m{c, o, keep, noise, K};
        m.stripes = stripes;
        Generator g(5);
        wordvec::detail::Batch b;
        std::vector<std::vector<Row>> steps;
        while (m.fill(g, b)) {
            auto& step = steps.emplace_back();
            for (std::size_t i = 0; i < b.rows; ++i) {
                Row r{float(b.ctx(i, 0))};
                for (std::size_t k = 0; k < K; ++k) r.push_back(float(b.tgt(i, k))), r.push_back(b.weights.data()(i, k));
                step.push_back(r);
            }
        }
        return steps;
    };
    std::vector<Row> stream;  // the examples in order, as word2vec.c reads them
    for (const auto& step : steps_of(1)) {
        EXPECT_LE(step.size(), B);
        stream.insert(stream.end(), step.begin(), step.end());
    }
    // a center word's pairs come one after another (the same targets): some share a step in order
    std::size_t neighbours = 0;
    for (std::size_t i = 1; i < stream.size(); ++i) neighbours += stream[i][1] == stream[i - 1][1];
    EXPECT_GT(neighbours, stream.size() / 2);
    // striped by L = 2·window: stash j holds examples [j·L·B, (j + 1)·L·B); its step s, those s, s + L', …
    // (L' = ⌈stash rows / B⌉, L but at the very end), so the same examples and no center's two pairs in a step
    const std::size_t L = 2 * o.window;
    const auto striped = steps_of(L);
    std::size_t base = 0, s = 0, taken = 0;
    for (const auto& step : striped) {
        const std::size_t n = std::min(L * B, stream.size() - base), Ls = (n + B - 1) / B;
        ASSERT_LE(step.size(), B);
        for (std::size_t k = 0; k < step.size(); ++k) ASSERT_EQ(step[k], stream.at(base + s + k * Ls)) << "stash at " << base << ", step " << s;
        taken += step.size();
        if (++s == Ls) base += n, s = 0;
    }
    EXPECT_EQ(taken, stream.size());
    EXPECT_EQ(base, stream.size());
    fs::remove(path);
}

TEST(Word2Vec, ReadersKeepPaceInTheTextNotInPairs) {
    // chunks of ~1000 words taking turns: 12-word lines (~3.5 pairs a word with window 3), then 2-word
    // lines (1 pair a word), so reader 0 reads the long lines and reader 1 the short ones; taking the same
    // pairs a step, reader 1 would read its text 3.5× as fast and end chunks ahead
    Generator g(4);
    std::string text;
    for (int chunk = 0; chunk < 12; ++chunk) {
        const bool long_lines = chunk % 2 == 0;  // 77 × 13 = 1001 and 334 × 3 = 1002 tokens with "</s>"
        for (int line = 0; line < (long_lines ? 77 : 334); ++line) {
            const char topic = g.random() % 2 ? 'a' : 'b';
            for (int w = 0; w < (long_lines ? 12 : 2); ++w) text += fmt::format("{}{}{}", w ? " " : "", topic, g.random() % 10);
            text += '\n';
        }
    }
    const auto path = write_corpus("pace", text);
    auto o = small();
    o.batch = 8, o.merge_every = 4, o.readers = 2;
    const int old = num_threads();
    set_num_threads(2);
    const auto r = wordvec::train_word2vec(path, o);
    // at most a chunk ahead, plus what one merge's 4 steps of 4 pairs read (16 words of short lines)
    EXPECT_LT(r.reader_lead, 1.05);
    EXPECT_GT(r.reader_lead, 0.5);  // it does run ahead, up to the chunk it may
    set_num_threads(1);
    EXPECT_EQ(wordvec::train_word2vec(path, o).vectors.vectors(), r.vectors.vectors());
    o.readers = 1;
    EXPECT_EQ(wordvec::train_word2vec(path, o).reader_lead, 0.0);
    set_num_threads(old);
    fs::remove(path);
}

TEST(Word2Vec, NoiseWordsFollowTheUnigramToTheThreeQuarters) {
    // counts: "</s>" 500, then 1, 16, 81, 0: weights 1, 8, 27, 0 (count^0.75) once "</s>" is given away
    const std::vector<std::size_t> counts = {500, 1, 16, 81, 0};
    const wordvec::NoiseTable noise(counts);
    Generator g(11);
    std::vector<double> seen(counts.size(), 0.0);
    const int n = 400000;
    for (int i = 0; i < n; ++i) seen[std::size_t(noise.sample(g))] += 1.0 / n;
    // "</s>" (share 500^0.75 / Σ) is redrawn uniformly from the 4 other words
    double total = 0;
    for (auto c : counts) total += std::pow(double(c), 0.75);
    const double eos = std::pow(500.0, 0.75) / total;
    EXPECT_EQ(seen[0], 0.0);
    for (std::size_t w = 1; w < counts.size(); ++w) {
        const double want = std::pow(double(counts[w]), 0.75) / total + eos / 4;
        EXPECT_NEAR(seen[w], want, 4 * std::sqrt(want / n) + 1e-9) << "word " << w;
    }
    EXPECT_TRUE(testing::throws_with<ValueError>([] { wordvec::NoiseTable({7}); }, {"2 words or more"}));
}

TEST(Word2Vec, LockFreeThreadsLearnTooAndNameTheirErrors) {
    const auto path = write_corpus("lockfree", two_topics(1500, 6));
    auto o = small();
    o.lock_free = true;
    const int old = num_threads();
    set_num_threads(1);  // one thread: lock_free changes nothing, the vectors are the reproducible ones
    const auto one = wordvec::train_word2vec(path, o);
    o.lock_free = false;
    EXPECT_EQ(one.vectors.vectors(), wordvec::train_word2vec(path, o).vectors.vectors());
    set_num_threads(2);
    o.lock_free = true;
    const auto r = wordvec::train_word2vec(path, o);
    const auto [same, total] = same_topic_neighbours(r.vectors);
    EXPECT_GE(same, total * 9 / 10) << same << " of " << total << " nearest words share the topic";
    // both shares trained: as many pairs as one thread's, up to the windows' random sizes
    EXPECT_NEAR(double(r.pairs) / double(one.pairs), 1.0, 0.03);
    EXPECT_LT(r.final_loss, 3.0);
    o.cbow = true, o.alpha = 0.05, o.batch = 256;  // too large an update: the workers' error, named
    EXPECT_TRUE(testing::throws_with<ValueError>([&] { wordvec::train_word2vec(path, o); }, {"word2vec: the loss became", "--batch (256)"}));
    set_num_threads(old);
    fs::remove(path);
}

TEST(Word2Vec, NamesBadOptionsAndCorpora) {
    const auto path = write_corpus("rare", "every word here is new\n");
    auto o = small();
    o.min_count = 5;
    EXPECT_TRUE(testing::throws_with<ValueError>([&] { wordvec::train_word2vec(path, o); },
                                                 {"--min-count 5", "most frequent occurs 1 times"}));
    o = small();
    o.size = 0;
    EXPECT_TRUE(testing::throws_with<ValueError>([&] { wordvec::train_word2vec(path, o); }, {"size 0"}));
    for (std::size_t readers : {0, 257}) {
        o = small();
        o.readers = readers;
        EXPECT_TRUE(testing::throws_with<ValueError>([&] { wordvec::train_word2vec(path, o); },
                                                     {fmt::format("readers {}", readers), "batch (256)"}));
    }
    o = small();
    o.merge_every = 0;
    EXPECT_TRUE(testing::throws_with<ValueError>([&] { wordvec::train_word2vec(path, o); }, {"merge_every 0"}));
    o = small();
    o.alpha = -1;
    EXPECT_TRUE(testing::throws_with<ValueError>([&] { wordvec::train_word2vec(path, o); }, {"alpha -1"}));
    EXPECT_THROW(wordvec::train_word2vec(path + ".missing", small()), FileError);
    fs::remove(path);
}

}  // namespace
}  // namespace xgrad
