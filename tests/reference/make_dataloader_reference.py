#!/usr/bin/env python3
"""The book's create_dataloader_v1 (GPTDatasetV1 + torch DataLoader) on ids 0, 1, 2, … (so a window's
first id is its start), for tests/text/test_data_loader.cpp: from torch.manual_seed(seed), two epochs'
batches, then three torch.rand numbers (what the loader left of the default generator's stream).

Writes tests/reference/text/dataloader.json.
Run with Debian's python3-torch:  /usr/bin/python3 tests/reference/make_dataloader_reference.py
"""
import json
import os

import torch
from torch.utils.data import DataLoader, Dataset

HERE = os.path.dirname(os.path.abspath(__file__))


class GPTDatasetV1(Dataset):
    def __init__(self, token_ids, max_length, stride):
        self.input_ids, self.target_ids = [], []
        for i in range(0, len(token_ids) - max_length, stride):
            self.input_ids.append(torch.tensor(token_ids[i:i + max_length]))
            self.target_ids.append(torch.tensor(token_ids[i + 1:i + max_length + 1]))

    def __len__(self):
        return len(self.input_ids)

    def __getitem__(self, idx):
        return self.input_ids[idx], self.target_ids[idx]


CASES = [  # n_ids, max_length, stride, batch_size, shuffle, drop_last, seed
    (5145, 4, 4, 8, False, True, 123),     # ch. 2's first loader (the-verdict's 5,145 ids)
    (4608, 256, 256, 2, True, True, 123),  # ch. 5's training loader (about the-verdict's 90%)
    (530, 256, 256, 2, False, False, 123),  # ch. 5's validation loader
    (50, 4, 3, 3, True, False, 7),         # a last partial batch
    (1000, 8, 5, 16, True, True, 0),
]


def main():
    out = []
    for n, max_length, stride, batch, shuffle, drop_last, seed in CASES:
        torch.manual_seed(seed)
        loader = DataLoader(GPTDatasetV1(list(range(n)), max_length, stride), batch_size=batch, shuffle=shuffle,
                            drop_last=drop_last, num_workers=0)
        epochs = []
        for _ in range(2):
            epochs.append([x[:, 0].tolist() for x, _ in loader])
        out.append({"n_ids": n, "max_length": max_length, "stride": stride, "batch_size": batch, "shuffle": shuffle,
                    "drop_last": drop_last, "seed": seed, "batches": len(loader), "epochs": epochs,
                    "rand_after": torch.rand(3).tolist()})
    with open(os.path.join(HERE, "text", "dataloader.json"), "w") as f:
        json.dump(out, f)
        f.write("\n")
    print("wrote text/dataloader.json:", [c["batches"] for c in out], "batches; torch", torch.__version__)


if __name__ == "__main__":
    main()
