// Placeholder until the Rust side generates this file with ts-rs; keep the same shape.

export type TopicSummary = { id: number, slug: string, title: string, group: string, tags: Array<string>, difficulty: string, status: string, };
