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
import functools
import heapq
import itertools
import math
import operator
import re
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from typing import Final

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from minichat_desktop import lexicon
from minichat_desktop.domain.bot.normalize import clean, skeleton, skeleton_of_clean, trigrams
from minichat_desktop.domain.models import Category, Product

MIN_SCORE: Final = 0.62  # a product below this is not reported as mentioned
KEEP_WITHIN: Final = 0.2  # report products scoring within this of the best one
MAX_PRODUCTS: Final = 5
_POSTINGS_BUDGET: Final = 1_200  # postings read per lookup, rarest trigrams first
_CANDIDATES: Final = 50


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
            skel = skeleton(spelling)
            if len(skel) >= 3 and skel != head:
                out.setdefault(skel, head)
    return out


_VARIANTS: Final = _variant_map()
_VARIANT_RE: Final = re.compile(
    "|".join(re.escape(v) for v in sorted(_VARIANTS, key=len, reverse=True))
)
_HEADS: Final = frozenset(skeleton(group[0]) for group in lexicon.SPELLING_VARIANTS)
_THAI: Final = re.compile(r"[\u0e00-\u0e7f]")
_WORD_SPLIT: Final = re.compile(r"[\s|/,()\[\]]+")
_LATIN_WORD: Final = re.compile(r"[a-z][a-z0-9-]{3,}")
# Latin words in product names that name no product in particular.
_LATIN_STOP: Final = frozenset(
    ("with", "from", "pack", "size", "free", "long", "short", "sleeve", "soft", "basic", "style")
)

# Score factors: a whole name counts fully, a part of a name a little less, a single word of
# a name less again.
_WHOLE, _PHRASE, _WORD = 1.0, 0.92, 0.88


@functools.lru_cache(maxsize=1 << 16)
def fold_variants(skel: str) -> str:
    """Every known spelling variant inside a skeleton replaced by its group's head spelling
    (leftmost-longest, two passes so a folded word can complete a longer one)."""
    if not skel:
        return skel
    for _ in range(2):
        folded = _VARIANT_RE.sub(lambda m: _VARIANTS[m.group(0)], skel)
        if folded == skel:
            break
        skel = folded
    return skel


def _code_tokens(cleaned: str) -> set[str]:
    """Skeletons of each word of a text and of each two neighbours joined ("ts 001")."""
    words = [skeleton(w) for w in cleaned.split()]
    return {*words, *(a + b for a, b in itertools.pairwise(words))}


def _type_heads() -> list[str]:
    heads = {skeleton(s) for spellings in lexicon.PRODUCT_TYPES.values() for s in spellings}
    heads |= {skeleton(w) for w in ("เสื้อ", "กางเกง", "กระเป๋า", "รองเท้า")}
    return sorted((h for h in heads if _THAI.search(h)), key=len, reverse=True)


_TYPE_HEADS: Final = _type_heads()
_NOT_PRODUCT: Final = re.compile(
    "|".join(re.escape(skeleton(w)) for w in lexicon.NOT_PRODUCT_WORDS if skeleton(w))
)


def _name_keys(name: str) -> list[tuple[str, float]]:
    """(skeleton key, factor) pairs of one product name: the whole name; for Thai, each
    phrase (Thai names put spaces between phrases, not words) and the first phrase without its
    product-type word (``คอกลม`` of ``เสื้อยืดคอกลม``: "เสื้อคอกลม" finds it) unless what is left
    is only a colour."""
    name = clean(name)
    if not name:
        return []
    keys = [(skeleton_of_clean(name), _WHOLE)]
    if not _THAI.search(name):
        return keys
    phrases = [skeleton_of_clean(w) for w in _WORD_SPLIT.split(name) if w]
    if len(phrases) > 1:
        keys += [(p, _PHRASE) for p in phrases if len(p) >= 4 and _THAI.search(p)]
    first = phrases[0] if phrases else ""
    for head in _TYPE_HEADS:
        if first.startswith(head):
            rest = first[len(head) :]
            if len(rest) >= 4 and not rest.startswith("สี"):
                keys.append((rest, _PHRASE))
            break
    return keys


def _words_of(entry: CatalogEntry) -> set[str]:
    """Distinctive-word candidates of a product: lexicon words (group heads) found in its Thai
    name, and Latin words of four letters or more in either name."""
    words: set[str] = set()
    th = fold_variants(skeleton(entry.name_th))
    words |= {h for h in _HEADS if h in th and len(h) >= 3}
    for name in (entry.name_en, entry.name_th):
        for w in _LATIN_WORD.findall(clean(name)):
            if w not in _LATIN_STOP:
                words.add(fold_variants(skeleton(w)))
    return words


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
        self._checked_at = time.monotonic()
        categories = list(categories)
        self._entries: dict[int, CatalogEntry] = {}
        raw: list[tuple[int, str, float]] = []  # (product_id, skeleton key, factor)
        # Keys that must also be found as written: Latin words and product codes.
        latin_words: dict[str, re.Pattern[str]] = {}
        codes: set[str] = set()
        word_owners: dict[str, set[int]] = defaultdict(set)
        product_words: dict[int, set[str]] = {}
        for e in entries:
            if not e.active:
                continue
            self._entries[e.product_id] = e
            forms: dict[str, float] = {}
            for name in (e.name_th, e.name_en):
                for key, factor in _name_keys(name):
                    for k in (key, fold_variants(key)):
                        if k and factor > forms.get(k, 0.0):
                            forms[k] = factor
            sku = skeleton(e.sku)
            if len(sku) >= 4:
                forms[sku] = _WHOLE
                # A code matches only as itself ("TS-001", "ts 001"), never by a few digits.
                codes.add(sku)
            raw += [(e.product_id, k, f) for k, f in forms.items()]
            product_words[e.product_id] = _words_of(e)
            for w in product_words[e.product_id]:
                word_owners[w].add(e.product_id)
        # A word of a name is a key of its own when at most two products share it.
        for product_id, words in product_words.items():
            for w in words:
                if len(word_owners[w]) <= 2:
                    raw.append((product_id, w, _WORD))
                    if not _THAI.search(w):
                        latin_words[w] = re.compile(rf"(?<![a-z]){re.escape(w)}")
        grams_of = [trigrams(k) for _, k, _ in raw]
        df: Counter[str] = Counter()
        for grams in grams_of:
            df.update(grams)
        n = max(len(raw), 1)
        self._idf = {g: math.log(1 + n / c) for g, c in df.items()}
        # Trigrams of product-type words ("รองเท้า", "เสื้อยืด", the shop's category names) say
        # what kind of thing, not which one: they count a quarter in a key's score, so "มี
        # รองเท้าไหม" names no particular shoe.
        type_words = [*_TYPE_HEADS, *(skeleton(c) for c in categories)]
        type_grams = {g for w in type_words for g in trigrams(w) if len(w) >= 3}
        self._weight = {g: w * (0.25 if g in type_grams else 1.0) for g, w in self._idf.items()}
        weight = self._weight.__getitem__
        postings: dict[str, list[int]] = defaultdict(list)
        self._keys: list[tuple[int, frozenset[str], float, re.Pattern[str] | str | None]] = []
        self._key_total: list[float] = []
        for (product_id, key, factor), grams in zip(raw, grams_of, strict=True):
            if not grams:
                continue
            kid = len(self._keys)
            if len(key) < 6:
                factor *= 0.55 + 0.075 * len(key)  # a short key found by chance says little
            # A Latin word key must start a word of the text: "rice" is not in "price".
            must = key if key in codes else latin_words.get(key)
            self._keys.append((product_id, frozenset(grams), factor, must))
            self._key_total.append(sum(map(weight, grams)))
            for g in grams:
                postings[g].append(kid)
        self._postings = dict(postings)
        self._categories = self._category_index(categories)

    # ------------------------------------------------------------------ building

    @staticmethod
    def _category_index(
        categories: Iterable[str],
    ) -> list[tuple[str, tuple[str, ...], re.Pattern[str] | None]]:
        """(Thai skeleton or Latin spelling, category names, word pattern for Latin) triples,
        longest first: the shop's own category names, the lexicon's spellings of the ones it
        knows, and generic words naming several (``เสื้อ``). Latin spellings match as whole
        words ("hat" is not in "what")."""
        names = list(categories)
        spellings: dict[str, list[str]] = defaultdict(list)

        def put(spelling: str, name: str) -> None:
            if spelling and name not in spellings[spelling]:
                spellings[spelling].append(name)

        def shop_name(canon: str) -> str | None:
            return next((n for n in names if skeleton(n) == skeleton(canon)), None)

        for name in names:
            put(clean(name), name)
        for canon, variants in lexicon.PRODUCT_TYPES.items():
            target = shop_name(canon)
            if target is not None:
                for v in variants:
                    put(clean(v), target)
        for word, canons in lexicon.GENERIC_TYPES.items():
            for canon in canons:
                target = shop_name(canon)
                if target is not None:
                    put(clean(word), target)
        out: list[tuple[str, tuple[str, ...], re.Pattern[str] | None]] = []
        for spelling, targets in spellings.items():
            if _THAI.search(spelling):
                skel = skeleton(spelling)
                if len(skel) >= 3:  # two letters ("เป" of "เป้") hide inside other words
                    out.append((skel, tuple(targets), None))
            else:
                out.append((spelling, tuple(targets), re.compile(rf"\b{re.escape(spelling)}\b")))
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

    def refreshed(self, session: Session, max_age: float = 0.0) -> CatalogMatcher:
        """This matcher if the catalog has not changed since it was built, else a new one.

        ``max_age`` (seconds): trust a check made that recently and skip the database (the
        stamp reads every product row, a few milliseconds on 10,000 products); the dialogue
        engine passes a few seconds, so a catalog edit is seen that much later at most."""
        now = time.monotonic()
        if max_age > 0 and now - self._checked_at < max_age:
            return self
        if self.stamp is not None and self.current_stamp(session) == self.stamp:
            self._checked_at = now
            return self
        return self.load(session)

    # ------------------------------------------------------------------ lookups

    def __len__(self) -> int:
        return len(self._entries)

    def entry(self, product_id: int) -> CatalogEntry | None:
        return self._entries.get(product_id)

    def match_products(
        self, text: str, limit: int = MAX_PRODUCTS, *, categories: Sequence[str] | None = None
    ) -> list[ProductMatch]:
        """Products named in ``text``, best first: those scoring at least ``MIN_SCORE`` and
        within ``KEEP_WITHIN`` of the best. A product in a category the text names (``เสื้อ``
        …) gets a small lift, so "เสื้อลายช้าง" prefers the tee to the elephant pouch.
        ``categories``: what :meth:`match_categories` found in the same text, when the caller
        has it already."""
        skel = _NOT_PRODUCT.sub(" ", skeleton(text))
        if not skel.strip():
            return []
        grams = trigrams(skel) | trigrams(fold_variants(skel))
        grams = {g for g in grams if " " not in g}
        partial: dict[int, float] = {}
        get = partial.get
        budget = _POSTINGS_BUDGET
        postings = self._postings
        for g in sorted((g for g in grams if g in postings), key=lambda g: len(postings[g])):
            plist = postings[g]
            if len(plist) > budget:
                break
            budget -= len(plist)
            w = self._idf[g]
            for kid in plist:
                partial[kid] = get(kid, 0.0) + w
        if not partial:
            return []
        top = heapq.nlargest(_CANDIDATES, partial.items(), key=operator.itemgetter(1))
        cleaned = clean(text)
        tokens = _code_tokens(cleaned)
        weight = self._weight.__getitem__
        best: dict[int, float] = {}
        for kid, _ in top:
            product_id, key_grams, factor, must = self._keys[kid]
            if isinstance(must, str):
                if must not in tokens:
                    continue
            elif must is not None and not must.search(cleaned):
                continue
            found = sum(map(weight, key_grams & grams))
            score = factor * found / self._key_total[kid]
            if score > best.get(product_id, 0.0):
                best[product_id] = score
        named_kinds = set(self.match_categories(cleaned) if categories is None else categories)
        scored: list[tuple[float, int]] = []
        for product_id, score in best.items():
            if named_kinds:
                # The text names a kind of product: prefer products of that kind.
                score += 0.1 if self._entries[product_id].category in named_kinds else -0.1
            scored.append((score, product_id))
        scored.sort(key=lambda sp: (-sp[0], sp[1]))
        if not scored or scored[0][0] < MIN_SCORE:
            return []
        floor = max(MIN_SCORE, scored[0][0] - KEEP_WITHIN)
        out = []
        for score, product_id in scored[:limit]:
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
        for spelling, targets, pattern in self._categories:
            if pattern is None:
                if spelling not in skel:
                    continue
                skel = skel.replace(spelling, " ")
            elif pattern.search(cleaned):
                cleaned = pattern.sub(" ", cleaned)
            else:
                continue
            found += [t for t in targets if t not in found]
        return found


def entries_from(rows: Sequence[tuple[int, str, str, str, str]]) -> list[CatalogEntry]:
    """Entries from ``(product_id, sku, name_th, name_en, category)`` tuples (tests, benches)."""
    return [CatalogEntry(pid, sku, th, en, cat) for pid, sku, th, en, cat in rows]
