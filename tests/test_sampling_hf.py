"""The transformers backend on a tiny random GPT-2 built here (no hub download).

Skipped when torch/transformers are not installed (`pip install 'build-sft-set[hf]'`).
"""
from __future__ import annotations

import json

import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")
pytestmark = pytest.mark.slow  # ~10 s, most of it importing transformers

from sftset.humaneval import iter_humaneval_rows  # noqa: E402
from sftset.sampling import DEFAULT_STOP, SampleRequest, SamplingParams  # noqa: E402
from sftset.store import StateStore  # noqa: E402


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import GPT2Config, GPT2LMHeadModel, PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=300, special_tokens=["<|endoftext|>"],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    text = ["def f(x):\n    return x + 1\n", "class A:\n    pass\n", "if x:\n    print(x)\n# note\n"]
    tok.train_from_iterator(text * 10, trainer)
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, eos_token="<|endoftext|>", bos_token="<|endoftext|>")
    cfg = GPT2Config(vocab_size=fast.vocab_size, n_positions=512, n_embd=16, n_layer=1, n_head=2,
                     bos_token_id=fast.eos_token_id, eos_token_id=fast.eos_token_id)
    torch.manual_seed(0)
    path = tmp_path_factory.mktemp("tinygpt")
    GPT2LMHeadModel(cfg).save_pretrained(path)
    fast.save_pretrained(path)
    return path


def test_hf_sampler_batches_and_stops(tiny_model):
    from sftset.sampling.hf_local import HFSampler

    s = HFSampler(str(tiny_model), SamplingParams(n=5, max_tokens=24), batch_size=2, seed=0, device="cpu")
    batches = list(s.generate([SampleRequest("t/1", "def f(x):\n", (0, 1, 2, 3, 4)),
                               SampleRequest("t/2", "def g():\n", (7,))]))
    assert [b.indices for b in batches] == [(0, 1), (2, 3), (4,), (7,)]
    texts = [t for b in batches for t in b.completions]
    assert len(texts) == 6 and all(isinstance(t, str) for t in texts)
    assert not any(stop in t for t in texts for stop in DEFAULT_STOP)


def test_filter_with_the_hf_backend(tiny_model, run_cli, workdir):
    rows = list(iter_humaneval_rows())[:2]
    (workdir / "he.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    assert run_cli("import", "he.jsonl").rc == 0
    args = ["filter", "--backend", "hf", "--model", str(tiny_model), "--n", "3", "--max-tokens", "16",
            "--workers", "1"]
    res = run_cli(*args, "--sample-only")
    assert res.rc == 0, res.err
    res = run_cli(*args)  # samples come from the store; a random model solves nothing
    assert res.rc == 0, res.err
    assert "0 drawn, 6 reused" in res.err
    with StateStore(workdir / "curated" / "state.sqlite") as store:
        v = store.verdicts("filter")
    assert {t: x["filter"]["status"] for t, x in v.items()} == {"HumanEval/0": "dropped", "HumanEval/1": "dropped"}
