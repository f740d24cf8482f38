// Word-vector files in the formats people download and the tools read:
//   word2vec text    "N D" on the first line, then "word v1 … vD" per line (gensim's save_word2vec_format)
//   word2vec binary  "N D\n", then per word: the word, a space, D little-endian float32 (word2vec.c ends
//                    each with '\n', gensim does not; both are read)
//   GloVe text       "word v1 … vD" per line, no header
//   projector TSV    vectors.tsv (D tab-separated numbers a line) + metadata.tsv (a word a line), what
//                    TensorBoard's embedding projector loads
// Files are read as a stream (a line or a record at a time; numbers parsed in place), so vectors of
// millions of words load in seconds. A bad file is a FileError naming the file, the line (or byte) and
// what is wrong there. Files are written whole or not at all.
#pragma once
#include <string>

#include "wordvec/vectors.hpp"

namespace xgrad::wordvec {

/// "text" (word2vec text), "binary" (word2vec binary), "glove", "xgrad" (a bigram checkpoint), or
/// "auto": a safetensors file is a checkpoint; a first line of two integers is a word2vec header, then
/// text if the next line holds D numbers after its word, binary otherwise; any other first line is GloVe.
KeyedVectors load_vectors(const std::string& path, const std::string& format = "auto");
/// The same from bytes in memory (`name` for the messages): what the fuzzer and tests feed it.
KeyedVectors parse_vectors(const std::string& bytes, const std::string& name, const std::string& format = "auto");
/// A table xgrad trained: `table` (V.weight: the input embeddings) of a bigram checkpoint, its words
/// from the checkpoint's vocabulary.
KeyedVectors load_xgrad_checkpoint(const std::string& path, const std::string& table = "V.weight");
/// The format `auto` finds for this file.
std::string detect_format(const std::string& path);

void save_word2vec_text(const KeyedVectors& kv, const std::string& path);
void save_word2vec_binary(const KeyedVectors& kv, const std::string& path);
void save_glove(const KeyedVectors& kv, const std::string& path);
/// vectors_path gets the numbers, metadata_path the words (one column, no header).
void save_projector_tsv(const KeyedVectors& kv, const std::string& vectors_path, const std::string& metadata_path);

}  // namespace xgrad::wordvec
