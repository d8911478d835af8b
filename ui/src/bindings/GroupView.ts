// Placeholder until the Rust side generates this file with ts-rs; keep the same shape.
import type { TopicSummary } from "./TopicSummary";

export type GroupView = { key: string, title: string, topics: Array<TopicSummary>, };
