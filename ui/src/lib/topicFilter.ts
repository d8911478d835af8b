// The sidebar's search-as-you-type. Every word of the query must match the topic
// somewhere: its title, slug or tags as text, or its id as a number
// ("17" or "#17" finds topic 17 and not 1, 7 or 27).

import type { GroupView } from "../bindings/GroupView";
import type { TopicSummary } from "../bindings/TopicSummary";

export function queryWords(query: string): string[] {
  return query.toLowerCase().split(/\s+/).filter((word) => word !== "");
}

export function topicMatches(topic: TopicSummary, words: string[]): boolean {
  if (words.length === 0) return true;
  const text = [topic.title, topic.slug, ...topic.tags].join(" ").toLowerCase();
  return words.every((word) => {
    const id = /^#?(\d+)$/.exec(word);
    if (id) return Number(id[1]) === topic.id || text.includes(word);
    return text.includes(word);
  });
}

/** The groups with only their matching topics; groups left empty are dropped. */
export function filterGroups(groups: GroupView[], query: string): GroupView[] {
  const words = queryWords(query);
  if (words.length === 0) return groups;
  return groups
    .map((group) => ({
      ...group,
      topics: group.topics.filter((topic) => topicMatches(topic, words)),
    }))
    .filter((group) => group.topics.length > 0);
}
