// Ranking for the command palette: a query matches an item when every word of the query
// appears in its label or keywords. Earlier and whole-word matches rank higher, topics
// before sections before actions when the scores tie; an empty query keeps the given order.

interface Rankable {
  label: string;
  keywords?: string;
  kind: string;
}

const KIND_ORDER: Record<string, number> = { topic: 0, section: 1, action: 2, match: 3 };

function wordScore(haystack: string, word: string): number | null {
  const at = haystack.indexOf(word);
  if (at === -1) return null;
  const startsWord = at === 0 || /[^a-z0-9]/.test(haystack[at - 1]);
  return (startsWord ? 0 : 50) + at;
}

/** Items that match every word of `query`, best first. An empty query keeps them all, in order. */
export function rankItems<T extends Rankable>(items: T[], query: string): T[] {
  const words = query.toLowerCase().split(/\s+/).filter((word) => word !== "");
  if (words.length === 0) return items;
  const scored: { item: T; score: number; order: number }[] = [];
  items.forEach((item, order) => {
    const label = item.label.toLowerCase();
    const extra = (item.keywords ?? "").toLowerCase();
    let score = 0;
    for (const word of words) {
      const inLabel = wordScore(label, word);
      const inExtra = wordScore(extra, word);
      if (inLabel === null && inExtra === null) return;
      score += inLabel ?? 200 + (inExtra ?? 0);
    }
    scored.push({ item, score, order });
  });
  scored.sort(
    (a, b) =>
      a.score - b.score ||
      (KIND_ORDER[a.item.kind] ?? 9) - (KIND_ORDER[b.item.kind] ?? 9) ||
      a.order - b.order,
  );
  return scored.map((entry) => entry.item);
}
