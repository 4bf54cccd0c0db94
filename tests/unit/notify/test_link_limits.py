"""Links are kept whole up to 2,048 characters; one that is no link is left out of a message for a reason the log
names."""

from pagerless.notify.links import MAX_URL_CHARS, link_problem, safe_url
from tests.long_links import grafana_explore_url


def test_a_long_real_grafana_link_is_a_link_and_one_past_the_limit_says_why_it_is_not():
    # Given a 2,015-character Grafana Explore link, and the same link made longer than the limit
    runbook = grafana_explore_url()
    too_long = runbook + "&" + "x" * (MAX_URL_CHARS - len(runbook))
    # Then the first is a link, unchanged (it is percent-encoded already)
    assert len(runbook) == 2015 and safe_url(runbook) == runbook and link_problem(runbook) is None
    # And the other is none, for its length, as the log will say
    assert safe_url(too_long) is None
    assert link_problem(too_long) == f"longer than 2048 characters ({MAX_URL_CHARS + 1})"
    # And a link cut by a truncation marker is none for its spaces
    assert link_problem(runbook[:900] + " …[truncated by Pagerless]") == "it holds spaces (cut or not a URL)"
