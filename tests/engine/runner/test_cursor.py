from hypothesis import given, strategies as st

from engine.runner.cursor import CursorTracker


class Store:
    def __init__(self):
        self.cursor = None
        self.writes = 0

    def set_cursor(self, integration, flow, state):
        self.cursor = state
        self.writes += 1


@given(st.data(), st.integers(min_value=1, max_value=40))
def test_cursor_is_that_of_the_longest_settled_prefix(data, n):
    store = Store()
    tracker = CursorTracker(store, "i", "f")
    cursors = [data.draw(st.one_of(st.none(), st.just({"at": i}))) for i in range(n)]
    seqs = [tracker.register(c) for c in cursors]
    settled = data.draw(st.lists(st.sampled_from(seqs), unique=True))
    for seq in settled:
        tracker.settled(seq)
    prefix = 0
    while prefix < n and prefix in settled:
        prefix += 1
    expected = next((c for c in reversed(cursors[:prefix]) if c is not None), None)
    assert store.cursor == expected


def test_disabled_tracker_never_writes():
    store = Store()
    tracker = CursorTracker(store, "i", "f", enabled=False)
    tracker.settled(tracker.register({"at": 0}))
    assert store.writes == 0
