"""Text ranking that works for English and Chinese alike: BM25 over word tokens and CJK bigrams.

Chinese has no spaces, so runs of CJK characters are indexed as overlapping character bigrams
(the usual segmenter-free approach); Latin text as lower-cased words and identifiers split on
'-', '_', '.' and '/' as well as whole. Full-width forms are folded first (NFKC).
"""

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable

_WORD = re.compile(r"[a-z0-9][a-z0-9_\-./]*")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_STOP = frozenset("a an and are as at be by for from has in is it of on or the to was were with".split())


def tokenize(text: str) -> list[str]:
    # NFKC: full-width letters and digits (ＣＰＵ, ９０, typed by Chinese input methods) are ASCII words
    text = unicodedata.normalize("NFKC", text or "").lower()
    tokens: list[str] = []
    for word in _WORD.findall(text):
        word = word.strip("-./_")
        if not word or word in _STOP:
            continue
        tokens.append(word)
        parts = [p for p in re.split(r"[-_./]", word) if p and p not in _STOP]
        if len(parts) > 1:
            tokens.extend(parts)
    for run in _CJK.findall(text):
        tokens.extend(run if len(run) == 1 else (run[i : i + 2] for i in range(len(run) - 1)))
    return tokens


class Bm25:
    """Okapi BM25 over a small in-memory corpus (a workspace's knowledge base or incidents)."""

    def __init__(self, documents: Iterable[list[str]], k1: float = 1.4, b: float = 0.75) -> None:
        self.docs = [Counter(doc) for doc in documents]
        self.lengths = [sum(doc.values()) for doc in self.docs]
        self.avg = (sum(self.lengths) / len(self.lengths)) if self.lengths else 0.0
        frequency: Counter = Counter()
        for doc in self.docs:
            frequency.update(doc.keys())
        n = len(self.docs)
        self.idf = {term: math.log(1 + (n - df + 0.5) / (df + 0.5)) for term, df in frequency.items()}
        self.k1, self.b = k1, b

    def score(self, query: list[str], index: int) -> float:
        doc, length = self.docs[index], self.lengths[index]
        total = 0.0
        for term in set(query):
            tf = doc.get(term, 0)
            if not tf:
                continue
            norm = tf + self.k1 * (1 - self.b + self.b * length / (self.avg or 1))
            total += self.idf.get(term, 0.0) * tf * (self.k1 + 1) / norm
        return total

    def rank(self, query: list[str]) -> list[tuple[int, float]]:
        query = self._with_words_of_single_characters(query)
        scored = [(i, self.score(query, i)) for i in range(len(self.docs))]
        return sorted((s for s in scored if s[1] > 0), key=lambda s: -s[1])

    def _with_words_of_single_characters(self, query: list[str]) -> list[str]:
        """A one-character Chinese query term ("锁", "慢") also matches the indexed bigrams holding
        that character: the documents are indexed as bigrams, so the character alone is rarely a term."""
        single = {t for t in query if len(t) == 1 and _CJK.fullmatch(t)}
        if not single:
            return query
        return query + [term for term in self.idf if len(term) == 2 and (term[0] in single or term[1] in single)]


def matching_terms(query: Iterable[str], tokens: Iterable[str]) -> set[str]:
    """The query terms found among ``tokens``; a one-character Chinese term is found in the bigrams
    that hold it (as in Bm25.rank)."""
    tokens = set(tokens)
    return {
        term
        for term in set(query)
        if term in tokens or (len(term) == 1 and _CJK.fullmatch(term) and any(term in t for t in tokens))
    }
