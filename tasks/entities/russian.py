"""Russian entities: natasha's news NER (slovnet over navec embeddings; the weights are files of the natasha wheel).

natasha (MIT) is used for its segmenter, its embeddings and its NER tagger only: its own name normaliser
depends on pymorphy2, which does not run on Python 3.11 and later; `names.nominative` (pymorphy3) puts
the names in the nominative instead. Nothing is downloaded at run time.
"""

from __future__ import annotations

from tasks.entities.resolve import Mention


class NatashaNer:
    """natasha's news NER behind the interface of `models.NerModel`: `mentions(items)` and `common_words`
    (none: the rules that need a dictionary are skipped)."""

    common_words: frozenset[str] = frozenset()

    def __init__(self):
        from natasha import NewsEmbedding, NewsNERTagger, Segmenter

        self.segmenter = Segmenter()
        self.tagger = NewsNERTagger(NewsEmbedding())

    def mentions(self, items: list[tuple[str | None, str]]) -> list[list[Mention]]:
        """Mentions of each (title, text) pair, title first (offsets None), then the text's in order."""
        found = []
        for title, text in items:
            mentions = [Mention(span.text, span.type, None) for span in self._spans(title)] if title else []
            mentions += [Mention(span.text, span.type, span.start) for span in self._spans(text)]
            found.append(mentions)
        return found

    def _spans(self, text: str):
        from natasha import Doc

        doc = Doc(text)
        doc.segment(self.segmenter)
        doc.tag_ner(self.tagger)
        return doc.spans
