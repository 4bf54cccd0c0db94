"""How actors are shown: name and id together, the id alone when no name is known."""

from pagerless.domain.actors import label, short_id


def test_a_key_reads_as_its_name_and_shortened_id():
    assert label("key_ab12cd34ef56ab78", "ops-bot") == "ops-bot (key_ab12…)"
    assert short_id("key_ab12cd34ef56ab78") == "key_ab12…"


def test_users_keep_their_whole_id_and_nameless_actors_read_as_their_id():
    assert label("user:alice@example.com", "Alice") == "Alice (user:alice@example.com)"
    assert label("key_ab12cd34ef56ab78", "") == "key_ab12cd34ef56ab78"
    assert label("system", None) == "system"


def test_an_actor_already_labelled_is_left_as_it_is():
    assert label("Alice Chen (per_1a2b3c4d)", "Alice Chen") == "Alice Chen (per_1a2b3c4d)"
