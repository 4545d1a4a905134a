# Convenience targets; the README's Quickstart uses the scripts directly (no make needed).
.PHONY: demo test lint bench

demo:
	bash scripts/demo.sh

test:
	bash scripts/test.sh

lint:
	.venv/bin/ruff check src tests bench
	.venv/bin/mypy

bench:
	for b in bench/scan_floor.py bench/bench_*.py; do .venv/bin/python $$b || exit 1; done
