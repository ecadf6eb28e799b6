"""Did-you-mean: the closest allowed name by edit distance."""

from __future__ import annotations

from collections.abc import Iterable


def distance(a: str, b: str) -> int:
    """Damerau-Levenshtein distance (optimal string alignment): typos swap letters too."""
    rows = [list(range(len(b) + 1))]
    for i, ca in enumerate(a, 1):
        row = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            row[j] = min(rows[-1][j] + 1, row[j - 1] + 1, rows[-1][j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                row[j] = min(row[j], rows[-2][j - 2] + 1)
        rows.append(row)
    return rows[-1][-1]


def did_you_mean(word: object, choices: Iterable[object]) -> str | None:
    """The choice closest to ``word`` if it is close enough to be a typo, else None."""
    if not isinstance(word, str) or not word:
        return None
    best: tuple[int, str] | None = None
    for choice in choices:
        if not isinstance(choice, str) or choice == word:
            continue
        d = distance(word.lower(), choice.lower())
        if best is None or d < best[0]:
            best = (d, choice)
    if best is None:
        return None
    limit = max(1, min(3, len(word) // 3))
    return best[1] if best[0] <= limit else None
