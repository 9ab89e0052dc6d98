"""Compliance simulation: many accounts per firm plan traded on real bars, by several policies.

Pure: bars come in as values, randomness from a generator seeded by the caller, and the
firm's own rule math (floors, resets, breaches) judges every account after every step.
``aria simulate`` is its face.
"""
