"""Performance benchmarks: ``python -m benchmarks`` prints one JSON object."""
