"""The one-pass polygon clamp gives exactly the numbers of the step-by-step functions (the same
float operations in the same order, so equality is exact, signed zeros included)."""
import random

from ppdet.convert import geometry as G


def test_clamp_polygon_equals_the_separate_steps():
    rng = random.Random(0)
    for trial in range(3000):
        n = rng.choice([1, 2, 3, 4, 7, 30])
        pts = [(rng.uniform(-50, 400), rng.uniform(-50, 300)) for _ in range(n)]
        if trial % 5 == 0:
            pts = [(float(int(x)), -0.0) for x, _ in pts]   # integers and negative zeros
        w, h = rng.choice([(320, 240), (100, 80), (1, 1)])
        clamped, moved = G.clamp_points(pts, w, h)
        expected = (G.flatten(clamped), G.bbox_of(clamped), G.polygon_area(clamped), moved)
        assert repr(G.clamp_polygon(pts, w, h)) == repr(expected)


def test_clamp_polygon_cases():
    flat, box, area, moved = G.clamp_polygon([(-5.0, 10.0), (30.0, 10.0), (30.0, 60.0)], 20, 40)
    assert flat == [0.0, 10.0, 20.0, 10.0, 20.0, 40.0] and box == (0.0, 10.0, 20.0, 40.0)
    assert area == 300.0 and moved
    assert G.clamp_polygon([(1.0, 1.0), (2.0, 2.0)], 10, 10)[2] == 0.0  # 2 points: no area
