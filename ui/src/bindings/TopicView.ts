// Placeholder until the Rust side generates this file with ts-rs; keep the same shape.
import type { SectionView } from "./SectionView";
import type { TopicSummary } from "./TopicSummary";

export type TopicView = { summary: TopicSummary, group_title: string, sections: Array<SectionView>, };
