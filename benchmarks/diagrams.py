"""Wall time to render the network diagrams: hnn's batched renderer against one bare `dot` call per diagram.

Run `python benchmarks/diagrams.py`. Not a test: it prints medians of several runs, each after a warm-up run.
The floor is N bare `dot -Tsvg` calls on `digraph{a}`: what N diagrams cost in process starts alone.
"""
import shutil
import statistics
import subprocess
import time

import hnn
from hnn.diagram import network, render


def median_seconds(job, repeats: int) -> float:
    job()  # warm-up: page cache, fontconfig cache, Python imports
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        job()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def one_dot_each(sources: list[bytes]) -> None:
    dot = shutil.which("dot")
    for source in sources:
        subprocess.run([dot, "-Tsvg"], input=source, capture_output=True, check=True)


def main() -> None:
    print(f"{'diagrams':>8}  {'renderer':<50}{'median':>10}{'per diagram':>14}{'vs floor':>10}")
    for count, repeats in ((11, 7), (1000, 3)):
        trace = hnn.train(hnn.Config(epochs=count - 1))
        sources = [network(trace, k).source for k in range(count)]
        jobs = {
            "floor: bare `dot -Tsvg` on digraph{a}, one each": lambda: one_dot_each([b"digraph{a}"] * count),
            "hnn.diagram.render(sources, 'svg'): one dot": lambda: render(sources, "svg"),
        }
        if count <= 11:  # PNG (cairo's rasteriser: ~70 ms each) and the naive way take minutes at 1 000
            jobs["hnn.diagram.render(sources, 'png'): one dot"] = lambda: render(sources, "png")
            jobs["`dot -Tsvg` on each real diagram, one each"] = lambda: one_dot_each([s.encode() for s in sources])
        floor = None
        for name, job in jobs.items():
            seconds = median_seconds(job, repeats)
            floor = floor or seconds
            print(f"{count:>8}  {name:<50}{seconds:>9.3f}s{1000 * seconds / count:>11.2f} ms{seconds / floor:>9.2f}×")


if __name__ == "__main__":
    main()
