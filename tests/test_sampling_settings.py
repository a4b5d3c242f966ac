"""Sampling settings (flags > environment > sftset.toml > paper defaults), the samples-file
backend, and the client-side stop truncation."""
from __future__ import annotations

import argparse

import pytest

from sftset.config import Config
from sftset.context import Context
from sftset.errors import InputError
from sftset.sampling import DEFAULT_STOP, SampleRequest, make_sampler, settings_from_context, truncate_at_stop
from sftset.sampling.settings import add_sampling_arguments


def ctx_for(workdir, toml: str | None = None, *argv: str) -> Context:
    parser = argparse.ArgumentParser()
    add_sampling_arguments(parser)
    cfg = None
    if toml is not None:
        cfg = workdir / "sftset.toml"
        cfg.write_text(toml)
    return Context(parser.parse_args(list(argv)), Config.load(cfg))


@pytest.fixture(autouse=True)
def _no_env(monkeypatch):
    monkeypatch.delenv("SFTSET_MODEL_URL", raising=False)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)


def test_paper_defaults(workdir):
    s = settings_from_context(ctx_for(workdir, None, "--url", "http://h:8000", "--model", "m"))
    assert s.backend == "openai" and s.configured
    p = s.params
    assert (p.n, p.temperature, p.top_p, p.max_tokens) == (100, 0.8, 0.95, 512)
    assert p.stop == DEFAULT_STOP == ("\nclass", "\ndef", "\n#", "\nif", "\nprint")
    assert not settings_from_context(ctx_for(workdir)).configured


def test_flags_beat_environment_beat_config(workdir, monkeypatch):
    toml = ('[sampling]\nurl = ["http://a:1", "http://b:2"]\nmodel = "cfg"\nn = 20\ntemperature = 0.2\n'
            'api_key = "from-file"\nstop = ["\\nclass"]\n')
    s = settings_from_context(ctx_for(workdir, toml))
    assert s.urls == ["http://a:1", "http://b:2"] and s.model == "cfg" and s.params.n == 20
    assert s.params.temperature == 0.2 and s.params.top_p == 0.95 and s.params.stop == ("\nclass",)
    assert s.api_key == "from-file"
    monkeypatch.setenv("SFTSET_MODEL_URL", "http://env1:8000, http://env2:8000")
    monkeypatch.setenv("OPENAI_API_KEY", "from-env")
    s = settings_from_context(ctx_for(workdir, toml))
    assert s.urls == ["http://env1:8000", "http://env2:8000"] and s.api_key == "from-env"
    s = settings_from_context(ctx_for(workdir, toml, "--url", "http://flag:1", "--api-key", "k", "--n", "5",
                                      "--temperature", "0", "--stop", "\\n\\n"))
    assert s.urls == ["http://flag:1"] and s.api_key == "k" and s.params.n == 5 and s.params.temperature == 0.0
    assert s.params.stop == ("\n\n",)


@pytest.mark.parametrize("toml, argv, message", [
    ("[sampling]\nurl = 'http://h'\ntop_p = 1.5\n", (), "sftset.toml:3: sampling.top_p: must be in (0.0, 1.0]"),
    ("[sampling]\nurl = 'http://h'\nn = 'many'\n", (), "sftset.toml:3: sampling.n: must be a int"),
    (None, ("--url", "http://h", "--n", "0"), "--n: must be in [1, inf]"),
    ("[sampling]\nbackend = 'gpt'\n", (), "sftset.toml:2: sampling.backend: must be one of openai, vllm, hf, samples"),
    (None, ("--model", "m"), "sampling.backend: say how to run the model"),
    (None, ("--backend", "samples"), "the samples backend needs --samples FILE"),
])
def test_bad_settings_are_one_line_errors(workdir, toml, argv, message):
    with pytest.raises(InputError) as err:
        settings_from_context(ctx_for(workdir, toml, *argv))
    assert message in str(err.value)


def test_samples_file_backend(workdir):
    (workdir / "s.jsonl").write_text('{"task_id": "HumanEval/0", "completion": "    return 1\\n"}\n'
                                     '{"task_id": "HumanEval/0", "completion": "    return 2\\n#x"}\n'
                                     '\n{"task_id": "HumanEval/1", "completion": ""}\n')
    s = settings_from_context(ctx_for(workdir, None, "--samples", "s.jsonl"))
    assert s.backend == "samples" and s.params.n == 0 and s.params.temperature is None
    sampler = make_sampler(s)
    assert sampler.model == "samples:s.jsonl" and sampler.available("HumanEval/0") == 2
    assert sampler.available("HumanEval/9") == 0
    (batch,) = list(sampler.generate([SampleRequest("HumanEval/0", "p", (1,))]))
    assert batch.indices == (1,) and batch.completions == ["    return 2\n#x"]  # verbatim, like HumanEval
    ident = sampler.identity()
    (workdir / "s.jsonl").write_text('{"task_id": "HumanEval/0", "completion": "    return 3\\n"}\n')
    assert make_sampler(s).identity() != ident  # other content, other samples


@pytest.mark.parametrize("line, message", [
    ('{"task_id": "HumanEval/0"}', "s.jsonl:2: completion: missing"),
    ('{"task_id": 7, "completion": ""}', "s.jsonl:2: task_id: must be a string, got int"),
    ('{"task_id": "HumanEval/0", "completion": "x"', "s.jsonl:2: invalid JSON"),
])
def test_bad_samples_file_names_line_and_field(workdir, line, message):
    (workdir / "s.jsonl").write_text('{"task_id": "HumanEval/0", "completion": ""}\n' + line + "\n")
    with pytest.raises(InputError) as err:
        make_sampler(settings_from_context(ctx_for(workdir, None, "--samples", "s.jsonl")))
    assert message in str(err.value)


def test_truncate_at_the_earliest_stop():
    stop = DEFAULT_STOP
    assert truncate_at_stop("    return x\n\n\ndef g():\n", stop) == "    return x\n\n"
    assert truncate_at_stop("    if x:\n        return 1\n    return 2\nif __name__", stop) == \
        "    if x:\n        return 1\n    return 2"
    assert truncate_at_stop("    return 1\nprint(f(1))\nclass A: pass", stop) == "    return 1"
    assert truncate_at_stop("    # a comment inside\n    return 1", stop) == "    # a comment inside\n    return 1"
    assert truncate_at_stop("abc", ()) == "abc"


def test_vllm_and_hf_are_imported_only_when_chosen(workdir):
    import subprocess
    import sys

    code = ("import sys, argparse; from sftset.config import Config; from sftset.context import Context; "
            "from sftset.sampling import make_sampler, settings_from_context; "
            "ns = argparse.Namespace(url=['http://h:1'], model='m'); "
            "make_sampler(settings_from_context(Context(ns, Config()))); "
            "import sftset.cli, sftset.filtering.stage, sftset.commands.filter; "
            "print(sorted(m for m in ('vllm', 'transformers', 'torch') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=workdir, check=True)
    assert out.stdout.strip() == "[]"


def test_vllm_backend_without_vllm_is_a_clear_error(workdir):
    try:
        import vllm  # noqa: F401
    except ImportError:
        pass
    else:
        pytest.skip("vLLM is installed here")
    with pytest.raises(InputError, match="the vllm backend needs vLLM"):
        make_sampler(settings_from_context(ctx_for(workdir, None, "--backend", "vllm", "--model", "m")))
