// Weights in and out, in formats PyTorch and numpy read:
//   safetensors: 8-byte little-endian header length, a JSON header {name: {dtype, shape, data_offsets}},
//                then the raw little-endian data. Keys are PyTorch's ("emb.weight"); float32 only.
//   .npy:        one array (numpy's format, version 1.0, '<f4', C order).
// Every file is written whole or not at all: to a temporary file beside it, flushed to disk, then
// renamed over the target. Reading checks every size and offset and names the file and the byte.
#pragma once
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "nn/module.hpp"
#include "nn/optim/optimizer.hpp"

namespace xgrad::nn {

/// Writes `bytes` to `path` atomically (temporary file beside it, fsync, rename). A symbolic link is
/// followed to its file; a path that is a FIFO, device, socket or directory is refused. Temporary files
/// of earlier saves to the same file whose process is gone are removed. Throws FileError naming the path.
void write_file_atomic(const std::string& path, const std::string& bytes);
/// The same, the file being `pieces` one after the other, each written from where it lives (a model's
/// tensors are streamed to the file, not first gathered into one string).
void write_file_atomic(const std::string& path, const std::vector<std::string_view>& pieces);
/// Fails early (before a long run) when `path` cannot be written: its directory is missing or not
/// writable, or it is not a regular file or a new path (as write_file_atomic). The FileError names
/// the path. (A program naming its flag too: programs::check_writable(path, flag), programs/files.hpp.)
void check_writable(const std::string& path);
/// The same, the error naming `flag` first ("--save PATH: …").
[[deprecated("a flag is the program's concern: use xgrad::programs::check_writable(path, flag) from "
             "programs/files.hpp, or nn::check_writable(path)")]]
void check_writable(const std::string& path, const std::string& flag);
/// True when `bytes` is well-formed UTF-8 (no overlong forms, surrogates or code points past U+10FFFF):
/// what JSON, and so a safetensors header's metadata, can hold as a string.
bool is_utf8(std::string_view bytes);
/// A list of tokens (byte strings) as JSON text for a safetensors header, losslessly: a token that is UTF-8
/// is a JSON string, any other (a Latin-1 "caf\xe9") is {"bytes": [99, 97, 102, 233]}.
std::string tokens_to_json(const std::vector<std::string>& tokens);
/// The tokens back; throws ValueError when the text is not such a list.
std::vector<std::string> tokens_from_json(const std::string& json);
/// The whole file; throws FileError naming the path.
std::string read_file(const std::string& path);

struct SafetensorsFile {
    StateDict tensors;
    std::map<std::string, std::string> metadata;  ///< the header's "__metadata__" (strings only)
};

/// Saves tensors (and optional string metadata) as a safetensors file, streamed from the tensors' arrays.
void save_safetensors(const std::string& path, const StateDict& tensors,
                      const std::map<std::string, std::string>& metadata = {});
/// Loads a safetensors file of float32 tensors, each read straight into its array; FileError names the
/// file and what is wrong (the header is checked whole before any data is read).
SafetensorsFile load_safetensors(const std::string& path);
/// The header's "__metadata__" alone (the header checked as load_safetensors does, no tensor read):
/// what a program looks at before it decides to load a file, as safetensors' safe_open(f).metadata().
std::map<std::string, std::string> load_safetensors_metadata(const std::string& path);
/// The same, from bytes already in memory (`name` is used in error messages).
SafetensorsFile parse_safetensors(const std::string& bytes, const std::string& name);

/// Saves one array as .npy ('<f4', C order).
void save_npy(const std::string& path, const Array& a);
/// Loads a '<f4' (or '<f8', converted) C-order .npy file.
Array load_npy(const std::string& path);
Array parse_npy(const std::string& bytes, const std::string& name);

/// module.state_dict() to a safetensors file, and back (load_state_dict with `strict`).
void save(const Module& module, const std::string& path);
void load(Module& module, const std::string& path, bool strict = true);

/// A training run in one safetensors file, as torch.save({"model_state_dict": …, "optimizer_state_dict": …,
/// …}): the model's tensors under "model.", the optimizer's under "optimizer." (its scalars in the
/// metadata under "optimizer."), and `metadata` (epoch, step, losses: strings the caller chooses).
/// Written whole or not at all.
void save_checkpoint(const std::string& path, const Module& model, const Optimizer& optimizer,
                     const std::map<std::string, std::string>& metadata = {});
/// Restores model and optimizer from save_checkpoint's file (strictly: every tensor named, of its
/// shape) and returns the caller's metadata. FileError names the file and what does not fit.
std::map<std::string, std::string> load_checkpoint(const std::string& path, Module& model, Optimizer& optimizer);

}  // namespace xgrad::nn
