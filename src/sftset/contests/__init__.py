"""Tests strong enough to judge contest problems (issue 15).

A scraped stdio problem carries only its statement's samples, which many wrong programs pass.
This package adds tests to such problems and decides what their expected outputs are:

  constraints.py  bounds parsed from the statement ("1 ≤ n ≤ 2·10^5", "$1 \\le a_i \\le 10^9$")
  generate.py     inputs made from the samples within those bounds (values, sizes, boundaries),
                  and inputs written by a model's generator program, kept only when a
                  validator program accepts them (both run in the sandbox)
  outputs.py      expected outputs from a known-correct reference, or from the agreement of
                  several distinct programs that pass every public and hidden test; an input
                  without agreement is dropped, never guessed
  verify.py       the step the solve filter runs: generate, establish outputs, judge samples
                  on public + hidden + generated tests, and record how each test was made

Untrusted programs (samples, references, generators, validators) only run through the
sandbox executor.
"""
