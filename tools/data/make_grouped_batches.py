"""Records torchvision's GroupedBatchSampler and aspect-ratio quantisation on a few cases, for
libs/data/src/grouped-batch-sampler.spec.ts. Run with /usr/bin/python3 (torch 1.13, torchvision 0.14):
    /usr/bin/python3 tools/data/make_grouped_batches.py > test/fixtures/data/grouped-batches.json
GroupedBatchSampler and _quantize are copied from torchvision's references/detection/group_by_aspect_ratio.py
(the references are not installed as a package)."""
import bisect, copy, json, math, random
from collections import defaultdict
from itertools import chain, repeat
import torch, torchvision
from torch.utils.data.sampler import BatchSampler, Sampler


def _repeat_to_at_least(iterable, n):
    repeat_times = math.ceil(n / len(iterable))
    repeated = chain.from_iterable(repeat(iterable, repeat_times))
    return list(repeated)


class GroupedBatchSampler(BatchSampler):
    def __init__(self, sampler, group_ids, batch_size):
        self.sampler = sampler
        self.group_ids = group_ids
        self.batch_size = batch_size

    def __iter__(self):
        buffer_per_group = defaultdict(list)
        samples_per_group = defaultdict(list)
        num_batches = 0
        for idx in self.sampler:
            group_id = self.group_ids[idx]
            buffer_per_group[group_id].append(idx)
            samples_per_group[group_id].append(idx)
            if len(buffer_per_group[group_id]) == self.batch_size:
                yield buffer_per_group[group_id]
                num_batches += 1
                del buffer_per_group[group_id]
            assert len(buffer_per_group[group_id]) < self.batch_size
        expected_num_batches = len(self)
        num_remaining = expected_num_batches - num_batches
        if num_remaining > 0:
            for group_id, _ in sorted(buffer_per_group.items(), key=lambda x: len(x[1]), reverse=True):
                remaining = self.batch_size - len(buffer_per_group[group_id])
                samples_from_group_id = _repeat_to_at_least(samples_per_group[group_id], remaining)
                buffer_per_group[group_id].extend(samples_from_group_id[:remaining])
                assert len(buffer_per_group[group_id]) == self.batch_size
                yield buffer_per_group[group_id]
                num_remaining -= 1
                if num_remaining == 0:
                    break
        assert len(self) == num_batches + num_remaining or num_remaining == 0

    def __len__(self):
        return len(self.sampler) // self.batch_size


def _quantize(x, bins):
    bins = copy.deepcopy(bins)
    bins = sorted(bins)
    return list(map(lambda y: bisect.bisect_right(bins, y), x))


random.seed(0)
cases = []
for n, batch, k in [(10, 2, 3), (23, 4, 3), (50, 8, 3), (17, 5, 1), (40, 3, 2), (9, 4, 0), (64, 6, 3)]:
    ratios = [round(random.choice([0.5, 0.75, 1.0, 1.333, 1.5, 2.0, 0.6, 3.0]) * random.uniform(0.9, 1.1), 4) for _ in range(n)]
    bins = (2 ** torch.linspace(-1, 1, 2 * k + 1)).tolist() if k > 0 else [1.0]
    groups = _quantize(ratios, bins)
    order = list(range(n))
    random.shuffle(order)
    batches = list(GroupedBatchSampler(order, groups, batch))
    cases.append({"order": order, "group_ids": groups, "batch_size": batch, "batches": batches,
                  "aspect_ratios": ratios, "k": k, "groups": groups})
print(json.dumps({"generator": "tools/data/make_grouped_batches.py", "torch": torch.__version__,
                  "torchvision": torchvision.__version__, "cases": cases}))
