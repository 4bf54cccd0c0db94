import pytest

from pagerless.domain.errors import ValidationError
from pagerless.knowledge.documents import Upload, chunk, extract_text

pytestmark = pytest.mark.unit


def test_chunks_follow_headings_and_stay_under_the_size():
    text = "# A\n\npara one\n\n# B\n\n" + "\n\n".join(f"paragraph {i} " + "w" * 90 for i in range(30))
    chunks = chunk(text, size=400)
    assert chunks[0] == "# A\n\npara one"
    assert all(len(c) <= 400 for c in chunks)
    assert "".join(chunks).count("paragraph") == 30


def test_a_single_huge_line_is_cut():
    assert [len(c) for c in chunk("z" * 1000, size=300)] == [300, 300, 300, 100]


def test_type_comes_from_the_extension_then_the_content_type():
    assert extract_text(Upload("x.MD", "application/octet-stream", b"# hi"))[0] == "markdown"
    assert extract_text(Upload("notes", "text/plain; charset=utf-8", b"hello"))[0] == "text"
    with pytest.raises(ValidationError):
        extract_text(Upload("x.docx", "application/vnd.openxmlformats", b"PK.."))
