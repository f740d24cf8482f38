// Word vectors: load and save the usual formats, query them as gensim's KeyedVectors, evaluate them.
//   #include "wordvec/wordvec.hpp"   (namespace xgrad::wordvec)
#pragma once
#include "wordvec/evaluate.hpp"
#include "wordvec/io.hpp"
#include "wordvec/vectors.hpp"
#include "wordvec/word2vec.hpp"
