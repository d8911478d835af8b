//! Times the data suite's reset on SQLite and the page queries of topic 10:
//! `cargo run -p dojo-storage --example seed_timing --release`.

use std::time::Instant;

use dojo_storage::query::{PostFilter, PostSort};
use dojo_storage::seed::POST_COUNT;
use dojo_storage::sqlite::{Location, open};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let storage = open(Location::Memory)?;
    for round in 1..=3 {
        let started = Instant::now();
        storage
            .reset_all("$argon2id$v=19$timing", POST_COUNT)
            .await?;
        println!(
            "reset with {POST_COUNT} posts, round {round}: {:?}",
            started.elapsed()
        );
    }
    let sort = PostSort::default();
    let per_page = 20;
    for page in [1u64, 5_000] {
        let offset = (page - 1) * per_page;
        let started = Instant::now();
        let by_offset = storage
            .posts
            .page_by_offset(PostFilter::default(), sort, offset, per_page as u32)
            .await?;
        let offset_time = started.elapsed();
        let cursor = match offset.checked_sub(1) {
            None => None,
            Some(before) => storage
                .posts
                .page_by_offset(PostFilter::default(), sort, before, 1)
                .await?
                .items
                .first()
                .map(|post| dojo_storage::query::Cursor {
                    sort,
                    value: dojo_storage::query::SortValue::Int(post.created_at),
                    id: post.id,
                }),
        };
        let started = Instant::now();
        let by_cursor = storage
            .posts
            .page_after(PostFilter::default(), sort, cursor, per_page as u32)
            .await?;
        let cursor_time = started.elapsed();
        assert_eq!(by_offset.items, by_cursor.items);
        println!("page {page}: offset {offset_time:?} (with count), cursor {cursor_time:?}");
    }
    Ok(())
}
