"""SendMessageBatch limits: at most 10 entries and 256 KiB per call, order kept (entries are (index, (body, kind)):
the index names the alert a refused entry was)."""

from pagerless.intake.queue import MAX_MESSAGE_BYTES, _batches


def test_batches_hold_at_most_ten_entries_in_order():
    messages = [(n, (f"m{n}", "alert")) for n in range(23)]
    batches = list(_batches(messages))
    assert [len(b) for b in batches] == [10, 10, 3]
    assert [m for b in batches for m in b] == messages


def test_batches_stay_under_the_total_size_limit():
    big = "x" * (100 * 1024)
    batches = list(_batches([(n, (big, "alert")) for n in range(5)]))
    assert [len(b) for b in batches] == [2, 2, 1]
    assert all(sum(len(body) for _, (body, _) in b) <= MAX_MESSAGE_BYTES for b in batches)
