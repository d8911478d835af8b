// Which implementation a topic page shows first: the learner's stack focus moves the Rust
// implementation ahead of the Express template, or leaves the order as written.

import type { StackFocus } from "../bindings/StackFocus";
import type { TopicView } from "../bindings/TopicView";

/** The topic with its "express" and "rust" sections in the learner's order. */
export function inStackOrder(topic: TopicView, stackFirst: StackFocus): TopicView {
  const sections = topic.sections;
  const express = sections.findIndex((section) => section.key === "express");
  const rust = sections.findIndex((section) => section.key === "rust");
  if (express < 0 || rust < 0) return topic;
  const expressFirst = express < rust;
  if (expressFirst === (stackFirst === "express")) return topic;
  const reordered = [...sections];
  reordered[express] = sections[rust];
  reordered[rust] = sections[express];
  return { ...topic, sections: reordered };
}
