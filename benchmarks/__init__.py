"""Benchmarks: real scenes from ../shared/data under the seeds' simulation protocol."""
