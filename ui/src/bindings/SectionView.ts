// Placeholder until the Rust side generates this file with ts-rs; keep the same shape.

export type SectionView = { key: string, title: string, html: string, };
