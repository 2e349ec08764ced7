"""Builders of product deliveries in their real layouts (EnMAP, DESIS), from arrays, for tests and
benchmarks of the product readers."""
