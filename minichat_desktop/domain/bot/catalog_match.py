"""Finding the shop's products and categories in what a shopper typed.

A :class:`CatalogMatcher` is built once from the database (:meth:`CatalogMatcher.load`) and
rebuilt only when the catalog changes (:meth:`CatalogMatcher.refreshed` compares a cheap stamp:
product count, last id and last update time). Building costs about 40 ms for 10,000 products;
a lookup costs well under a millisecond.

How it matches: every product gets a few *keys* — its Thai and English names, the first
phrase of each (``เสื้อยืดคอกลม`` of ``เสื้อยืดคอกลม Cotton 100%``), its SKU, and the same
keys with the spelling variants of ``lexicon.SPELLING_VARIANTS`` swapped in. Keys and messages
are reduced to a *skeleton* (normalize.skeleton: no tone marks, look-alike letters folded, no
spaces) and cut into character trigrams, weighted by rarity (IDF). A key's score is the share
of its weight found in the message, so the distinctive part of a name (``คอกลม``) counts more
than the part every product shares (``เสื้อยืด``), misspellings that keep most trigrams still
match, and Thai with no spaces needs no word segmentation. Short keys are discounted (a
two-letter key found by chance says little).

Candidates come from the rarest trigrams of the message first, so a lookup touches a bounded
number of postings whatever the catalog size.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import heapq
import math
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Final

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from minichat_desktop.domain.bot import lexicon
from minichat_desktop.domain.bot.normalize import clean, skeleton, trigrams
from minichat_desktop.domain.models import Category, Product

MIN_SCORE: Final = 0.62  # a product below this is not reported as mentioned
KEEP_WITHIN: Final = 0.2  # report products scoring within this of the best one
MAX_PRODUCTS: Final = 5
_POSTINGS_BUDGET: Final = 6_000  # postings read per lookup, rarest trigrams first
_CANDIDATES: Final = 300


@dataclasses.dataclass(frozen=True, slots=True)
class CatalogEntry:
    """What the matcher needs of one product."""

    product_id: int
    sku: str
    name_th: str
    name_en: str = ""
    category: str = ""
    active: bool = True


@dataclasses.dataclass(frozen=True, slots=True)
class ProductMatch:
    product_id: int
    sku: str
    name: str
    score: float  # 0..1, 1 = every trigram of a name key found

    def to_obj(self) -> dict[str, object]:
        return {
            "product_id": self.product_id,
            "sku": self.sku,
            "name": self.name,
            "score": round(self.score, 3),
        }


@dataclasses.dataclass(frozen=True, slots=True)
class CatalogStamp:
    count: int
    last_id: int
    last_update: dt.datetime | None


def _variant_map() -> dict[str, str]:
    """Skeleton of every spelling → skeleton of its group's first spelling."""
    out: dict[str, str] = {}
    for group in lexicon.SPELLING_VARIANTS:
        head = skeleton(group[0])
        for spelling in group:
            out[skeleton(spelling)] = head
    return out


_VARIANTS: Final = _variant_map()
_THAI_RE: Final = re.compile(r"[\u0e00-\u0e7f]")
_WORD_SPLIT: Final = re.compile(r"[\s|/,()\[\]]+")
_THAI: Final = re.compile(r"[\u0e00-\u0e7f]")


def _key_forms(name: str) -> list[str]:
    """Skeleton keys of one name: the whole name and its first phrase, each also with spelling
    variants folded to their group's head."""
    name = clean(name)
    if not name:
        return []
    words = [w for w in _WORD_SPLIT.split(name) if w]
    forms = {skeleton(name)}
    first = skeleton(words[0]) if words else ""
    if len(words) > 1 and len(first) >= 4:
        forms.add(first)
    # The first phrase without its product-type word ("คอกลม" of "เสื้อยืดคอกลม"), so
    # "เสื้อคอกลม" finds it; not when what is left is only a colour ("สีแดง").
    for head in _TYPE_HEADS:
        if first.startswith(head):
            rest = first[len(head) :]
            if len(rest) >= 4 and not rest.startswith("สี"):
                forms.add(rest)
            break
    return [f for f in forms if f]


_TYPE_HEADS: Final = sorted(
    {
        skeleton(s)
        for spellings in lexicon.PRODUCT_TYPES.values()
        for s in spellings
        if _THAI_RE.search(s)
    }
    | {skeleton(w) for w in ("เสื้อ", "กางเกง", "กระเป๋า", "รองเท้า")},
    key=len,
    reverse=True,
)


def fold_variants(skel: str) -> str:
    """Replace every known spelling variant inside a skeleton by its group's head spelling."""
    if not skel:
        return skel
    for variant, head in _SORTED_VARIANTS:
        if variant in skel and variant != head:
            skel = skel.replace(variant, head)
    return skel


_SORTED_VARIANTS: Final = sorted(_VARIANTS.items(), key=lambda kv: len(kv[0]), reverse=True)


class CatalogMatcher:
    """Products and categories of one catalog, indexed for fuzzy lookup (see module docstring).

    Immutable once built; share it between threads freely.
    """

    def __init__(
        self,
        entries: Iterable[CatalogEntry],
        categories: Iterable[str] = (),
        stamp: CatalogStamp | None = None,
    ) -> None:
        self.stamp = stamp
        self._entries: dict[int, CatalogEntry] = {}
        keys: list[tuple[int, dict[str, float]]] = []  # (product_id, trigram → weight)
        raw_keys: list[tuple[int, set[str], int]] = []
        df: dict[str, int] = defaultdict(int)
        for e in entries:
            if not e.active:
                continue
            self._entries[e.product_id] = e
            forms: set[str] = set()
            for name in (e.name_th, e.name_en):
                for f in _key_forms(name):
                    forms.add(f)
                    forms.add(fold_variants(f))
            sku = skeleton(e.sku)
            if len(sku) >= 4:
                forms.add(sku)
            for f in forms:
                grams = trigrams(f)
                if grams:
                    raw_keys.append((e.product_id, grams, len(f)))
                    for g in grams:
                        df[g] += 1
        n = max(len(raw_keys), 1)
        self._idf = {g: math.log(1 + n / c) for g, c in df.items()}
        postings: dict[str, list[int]] = defaultdict(list)
        self._key_total: list[float] = []
        self._key_len: list[int] = []
        for product_id, grams, length in raw_keys:
            kid = len(keys)
            weights = {g: self._idf[g] for g in grams}
            keys.append((product_id, weights))
            self._key_total.append(sum(weights.values()))
            self._key_len.append(length)
            for g in grams:
                postings[g].append(kid)
        self._keys = keys
        self._postings = dict(postings)
        self._categories = self._category_index(categories)

    # ------------------------------------------------------------------ building

    @staticmethod
    def _category_index(categories: Iterable[str]) -> list[tuple[str, str, re.Pattern[str] | None]]:
        """(skeleton of a Thai spelling or "", category name, word pattern of a Latin spelling)
        triples, longest first: the shop's own category names plus the lexicon's spellings of
        the ones it knows. Latin spellings match as whole words ("hat" is not in "what")."""
        spellings: dict[str, str] = {}
        names = list(categories)
        for name in names:
            spellings.setdefault(clean(name), name)
        for canon, variants in lexicon.PRODUCT_TYPES.items():
            target = next((n for n in names if skeleton(n) == skeleton(canon)), None)
            if target is None:
                continue
            for v in variants:
                spellings.setdefault(clean(v), target)
        out: list[tuple[str, str, re.Pattern[str] | None]] = []
        for spelling, name in spellings.items():
            if _THAI.search(spelling):
                skel = skeleton(spelling)
                if len(skel) >= 2:
                    out.append((skel, name, None))
            elif spelling:
                out.append((spelling, name, re.compile(rf"\b{re.escape(spelling)}\b")))
        return sorted(out, key=lambda t: len(t[0]), reverse=True)

    @classmethod
    def load(cls, session: Session) -> CatalogMatcher:
        """Build from the database: active products and all category names."""
        rows = session.execute(
            select(
                Product.id,
                Product.sku,
                Product.name_th,
                Product.name_en,
                Category.name,
                Product.active,
            ).outerjoin(Category, Category.id == Product.category_id)
        ).all()
        categories = session.scalars(select(Category.name).order_by(Category.position)).all()
        entries = [
            CatalogEntry(pid, sku, th, en or "", cat or "", bool(active))
            for pid, sku, th, en, cat, active in rows
        ]
        return cls(entries, categories, cls.current_stamp(session))

    @staticmethod
    def current_stamp(session: Session) -> CatalogStamp:
        count, last_id, last_update = session.execute(
            select(func.count(Product.id), func.max(Product.id), func.max(Product.updated_at))
        ).one()
        return CatalogStamp(int(count or 0), int(last_id or 0), last_update)

    def refreshed(self, session: Session) -> CatalogMatcher:
        """This matcher if the catalog has not changed since it was built, else a new one."""
        if self.stamp is not None and self.current_stamp(session) == self.stamp:
            return self
        return self.load(session)

    # ------------------------------------------------------------------ lookups

    def __len__(self) -> int:
        return len(self._entries)

    def entry(self, product_id: int) -> CatalogEntry | None:
        return self._entries.get(product_id)

    def match_products(self, text: str, limit: int = MAX_PRODUCTS) -> list[ProductMatch]:
        """Products named in ``text``, best first: those scoring at least ``MIN_SCORE`` and
        within ``KEEP_WITHIN`` of the best. An exact SKU in the text scores 1."""
        skel = skeleton(text)
        if not skel:
            return []
        folded = fold_variants(skel)
        grams = trigrams(skel) | trigrams(folded)
        partial: dict[int, float] = defaultdict(float)
        budget = _POSTINGS_BUDGET
        for g in sorted(grams, key=lambda g: len(self._postings.get(g, ()))):
            plist = self._postings.get(g)
            if not plist:
                continue
            if len(plist) > budget:
                break
            budget -= len(plist)
            w = self._idf[g]
            for kid in plist:
                partial[kid] += w
        if not partial:
            return []
        top = heapq.nlargest(_CANDIDATES, partial.items(), key=lambda kv: kv[1])
        best: dict[int, float] = {}
        for kid, _ in top:
            product_id, weights = self._keys[kid]
            found = sum(w for g, w in weights.items() if g in grams)
            score = found / self._key_total[kid]
            length = self._key_len[kid]
            if length < 6:
                score *= 0.55 + 0.075 * length
            if score > best.get(product_id, 0.0):
                best[product_id] = score
        ranked = sorted(best.items(), key=lambda kv: (-kv[1], kv[0]))
        if not ranked or ranked[0][1] < MIN_SCORE:
            return []
        floor = max(MIN_SCORE, ranked[0][1] - KEEP_WITHIN)
        out = []
        for product_id, score in ranked[:limit]:
            if score < floor:
                break
            e = self._entries[product_id]
            out.append(ProductMatch(product_id, e.sku, e.name_th, min(score, 1.0)))
        return out

    def match_categories(self, text: str) -> list[str]:
        """Category names mentioned in ``text`` (by the shop's name or a known spelling),
        longest spelling first, without repeats."""
        cleaned = clean(text)
        skel = skeleton(cleaned)
        found: list[str] = []
        for spelling, name, pattern in self._categories:
            if pattern is None:
                if spelling in skel:
                    skel = skel.replace(spelling, " ")
                    if name not in found:
                        found.append(name)
            elif pattern.search(cleaned):
                cleaned = pattern.sub(" ", cleaned)
                if name not in found:
                    found.append(name)
        return found


def entries_from(rows: Sequence[tuple[int, str, str, str, str]]) -> list[CatalogEntry]:
    """Entries from ``(product_id, sku, name_th, name_en, category)`` tuples (tests, benches)."""
    return [CatalogEntry(pid, sku, th, en, cat) for pid, sku, th, en, cat in rows]
