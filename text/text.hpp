// xgrad::text: everything of the tokenizer library in one include.
#pragma once
#include "text/data_loader.hpp"
#include "text/pretokenize.hpp"
#include "text/ranks.hpp"
#include "text/token_file.hpp"
#include "text/tokenizer.hpp"
#include "text/train.hpp"
#include "text/unicode.hpp"
