from bench_jobs import ingest, report, transform

__all__ = ["ingest", "transform", "report"]
