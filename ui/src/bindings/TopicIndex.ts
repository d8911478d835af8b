// Placeholder until the Rust side generates this file with ts-rs; keep the same shape.
import type { GroupView } from "./GroupView";

export type TopicIndex = { groups: Array<GroupView>, };
