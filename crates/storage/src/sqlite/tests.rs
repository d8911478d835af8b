//! The SQLite backend against its contracts, on a fresh in-memory database each time. (The
//! suite shared with MongoDB lives in `tests/`; these cover SQLite-only details too.)

use serde_json::json;

use super::{Location, open};
use crate::Storage;
use crate::error::StoreError;
use crate::filter::{Filter, Policy, USER_FIELDS};
use crate::model::{NewComment, NewNotification, NewPost, NewUser, Scope, UserPatch, UserRole};
use crate::query::{
    Cursor, Direction, PostFilter, PostSort, PostSortField, SearchQuery, SortValue,
};
use crate::schema::ExplainTarget;
use crate::seed;

async fn seeded(posts: u64) -> Storage {
    let storage = open(Location::Memory).expect("an in-memory database");
    storage
        .reset_all("$argon2id$v=19$fake", posts)
        .await
        .expect("the seed loads");
    storage
}

fn new_user(email: &str) -> NewUser {
    NewUser {
        email: email.into(),
        name: "New Person".into(),
        role: UserRole::User,
        password_hash: "$argon2id$v=19$other".into(),
        created_at: seed::EPOCH,
    }
}

#[tokio::test]
async fn live_emails_are_unique_but_a_deleted_accounts_address_can_be_reused() {
    let storage = seeded(10).await;
    let users = &storage.users;
    assert_eq!(
        users.create(new_user("ada@dojo.test")).await,
        Err(StoreError::Conflict { field: "email" })
    );
    let ada = users.soft_delete(1, 5).await.expect("ada deleted");
    assert_eq!(ada.deleted_at, Some(5));
    assert_eq!(users.get(1, Scope::Live).await.expect("read"), None);
    assert!(users.get(1, Scope::Deleted).await.expect("read").is_some());
    assert_eq!(
        users.soft_delete(1, 6).await,
        Err(StoreError::NotFound { what: "user" })
    );

    let newcomer = users
        .create(new_user("ada@dojo.test"))
        .await
        .expect("the address is free again");
    assert_eq!(newcomer.id, seed::USERS.len() as u64 + 1);
    assert_eq!(
        users.restore(1, 7).await,
        Err(StoreError::Conflict { field: "email" }),
        "restoring would make two live owners"
    );
    users.soft_delete(newcomer.id, 8).await.expect("deleted");
    let restored = users.restore(1, 9).await.expect("restored now");
    assert_eq!((restored.deleted_at, restored.updated_at), (None, 9));

    assert_eq!(
        users.purge_deleted(8).await.expect("purge"),
        0,
        "deleted at 8: kept"
    );
    assert_eq!(users.purge_deleted(9).await.expect("purge"), 1);
    assert_eq!(
        users.get(newcomer.id, Scope::All).await.expect("read"),
        None
    );
}

#[tokio::test]
async fn patches_change_only_given_members_and_refuse_a_taken_email() {
    let storage = seeded(10).await;
    let patch = UserPatch {
        name: Some("Ada King".into()),
        updated_at: 42,
        ..UserPatch::default()
    };
    let ada = storage.users.update(1, patch).await.expect("patched");
    assert_eq!(
        (ada.name.as_str(), ada.email.as_str()),
        ("Ada King", "ada@dojo.test")
    );
    assert_eq!(ada.updated_at, 42);
    let steal = UserPatch {
        email: Some("grace@dojo.test".into()),
        ..UserPatch::default()
    };
    assert_eq!(
        storage.users.update(1, steal).await,
        Err(StoreError::Conflict { field: "email" })
    );
    assert_eq!(
        storage.users.update(999, UserPatch::default()).await,
        Err(StoreError::NotFound { what: "user" })
    );
}

#[tokio::test]
async fn the_raw_filter_lets_an_operator_stand_in_for_the_password() {
    let storage = seeded(10).await;
    let injected = json!({ "email": "ada@dojo.test", "password": { "$ne": null } });
    let raw = Filter::from_json(&injected, USER_FIELDS, Policy::Raw).expect("raw accepts it");
    let found = storage.users.credentials(raw, 5).await.expect("query");
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].user.email, "ada@dojo.test");

    let everyone = json!({ "password": { "$regex": "^\\$ARGON2", "$options": "i" } });
    let raw = Filter::from_json(&everyone, USER_FIELDS, Policy::Raw).expect("a regex");
    let found = storage.users.credentials(raw, 100).await.expect("query");
    assert_eq!(
        found.len(),
        seed::USERS.len(),
        "every hash starts with $argon2"
    );

    let bad = json!({ "password": { "$regex": "(" } });
    let raw = Filter::from_json(&bad, USER_FIELDS, Policy::Raw).expect("parsed");
    assert!(matches!(
        storage.users.credentials(raw, 1).await,
        Err(StoreError::Invalid { .. })
    ));
}

#[tokio::test]
async fn filters_follow_mongodb_semantics_for_null_ranges_and_lists() {
    let storage = seeded(10).await;
    storage.users.soft_delete(4, 100).await.expect("deleted");
    let ids = |filter: serde_json::Value, scope| {
        let storage = storage.clone();
        async move {
            let filter = Filter::from_json(&filter, USER_FIELDS, Policy::Raw).expect("filter");
            let page = storage
                .users
                .list(filter, scope, 0, 100)
                .await
                .expect("list");
            page.items.iter().map(|u| u.id).collect::<Vec<_>>()
        }
    };
    assert_eq!(
        ids(json!({ "id": { "$gte": 2, "$lt": 4 } }), Scope::All).await,
        [2, 3]
    );
    assert_eq!(
        ids(json!({ "deleted_at": { "$ne": null } }), Scope::All).await,
        [4]
    );
    assert_eq!(
        ids(
            json!({ "deleted_at": { "$exists": false }, "id": { "$lte": 4 } }),
            Scope::All
        )
        .await,
        [1, 2, 3]
    );
    assert_eq!(
        ids(
            json!({ "role": { "$in": ["admin", "moderator"] } }),
            Scope::Live
        )
        .await,
        [2, 3]
    );
    assert_eq!(
        ids(
            json!({ "deleted_at": { "$nin": [100] }, "id": { "$lt": 5 } }),
            Scope::All
        )
        .await,
        [1, 2, 3]
    );
    assert_eq!(
        ids(json!({ "id": { "$in": [] } }), Scope::All).await,
        Vec::<u64>::new()
    );
    assert_eq!(
        ids(
            json!({ "email": { "$ne": "ada@dojo.test" }, "id": { "$lt": 3 } }),
            Scope::All
        )
        .await,
        [2]
    );
}

#[tokio::test]
async fn keyset_pages_neither_skip_nor_repeat_while_rows_are_inserted() {
    let storage = seeded(1_000).await;
    let sort = PostSort {
        field: PostSortField::Likes,
        direction: Direction::Desc,
    };
    let mut seen = Vec::new();
    let mut after = None;
    loop {
        let page = storage
            .posts
            .page_after(PostFilter::default(), sort, after.clone(), 64)
            .await
            .expect("a page");
        seen.extend(page.items.iter().map(|p| (p.likes, p.id)));
        // A new post with many likes lands before the current position: it must not
        // shift what comes next.
        storage
            .posts
            .create(NewPost {
                author_id: 1,
                title: "Inserted while paging".into(),
                body: "late".into(),
                tag: "rust".into(),
                likes: 10_000,
                created_at: 0,
            })
            .await
            .expect("created");
        match page.next {
            Some(cursor) => after = Some(cursor),
            None => break,
        }
    }
    assert_eq!(seen.len(), 1_000, "every original post exactly once");
    let mut sorted = seen.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(seen, sorted, "in (likes, id) descending order");
}

#[tokio::test]
async fn offset_and_keyset_agree_and_cursors_must_match_their_sort() {
    let storage = seeded(500).await;
    let filter = PostFilter {
        tag: Some("rust".into()),
        ..PostFilter::default()
    };
    for field in [
        PostSortField::Id,
        PostSortField::CreatedAt,
        PostSortField::Likes,
        PostSortField::Title,
    ] {
        for direction in [Direction::Asc, Direction::Desc] {
            let sort = PostSort { field, direction };
            let offset = storage
                .posts
                .page_by_offset(filter.clone(), sort, 10, 10)
                .await
                .expect("offset page");
            let first = storage
                .posts
                .page_after(filter.clone(), sort, None, 10)
                .await
                .expect("first keyset page");
            let second = storage
                .posts
                .page_after(filter.clone(), sort, first.next, 10)
                .await
                .expect("second keyset page");
            assert_eq!(offset.items, second.items, "{sort:?}");
            assert_eq!(
                offset.total,
                storage.posts.count(filter.clone()).await.expect("count")
            );
        }
    }
    let wrong = Cursor {
        sort: PostSort::default(),
        value: SortValue::Text("x".into()),
        id: 1,
    };
    assert!(matches!(
        storage.posts.page_after(PostFilter::default(), PostSort::default(), Some(wrong), 5).await,
        Err(StoreError::Invalid { field, .. }) if field == "cursor"
    ));
}

#[tokio::test]
async fn search_matches_whole_words_and_ignores_engine_syntax() {
    let storage = seeded(2_000).await;
    let search = |text: &str| SearchQuery {
        text: text.into(),
        filter: PostFilter::default(),
        limit: 5_000,
    };
    let hits = storage
        .posts
        .search(search("keyset pagination"))
        .await
        .expect("search");
    assert!(!hits.is_empty());
    for hit in &hits {
        let text = format!("{} {}", hit.post.title, hit.post.body).to_lowercase();
        assert!(
            text.contains("keyset") && text.contains("pagination"),
            "{text}"
        );
    }
    let noisy = storage
        .posts
        .search(search("keyset* OR \"pagination\" NEAR("))
        .await
        .expect("engine syntax is only words");
    assert!(noisy.len() <= hits.len());
    assert!(matches!(
        storage.posts.search(search(" *** ")).await,
        Err(StoreError::Invalid { field, .. }) if field == "q"
    ));
}

#[tokio::test]
async fn a_thread_is_one_preorder_tree_with_reply_counts_and_a_depth_limit() {
    let storage = seeded(5).await;
    let thread = storage.comments.thread(1, None, 10).await.expect("thread");
    let order: Vec<u64> = thread.iter().map(|c| c.id).collect();
    assert_eq!(order, [1, 2, 3, 4, 5, 6, 7]);
    let first = &thread[0];
    assert_eq!((first.depth, first.reply_count), (0, 2));
    assert_eq!(thread[3].depth, 3);

    let shallow = storage.comments.thread(1, None, 1).await.expect("thread");
    assert_eq!(
        shallow.iter().map(|c| c.id).collect::<Vec<_>>(),
        [1, 2, 5, 6, 7]
    );
    assert_eq!(
        shallow[1].reply_count, 1,
        "replies beyond the limit still count"
    );
    let subtree = storage
        .comments
        .thread(1, Some(2), 10)
        .await
        .expect("subtree");
    assert_eq!(subtree.iter().map(|c| c.id).collect::<Vec<_>>(), [2, 3, 4]);
    assert!(
        storage
            .comments
            .thread(2, Some(2), 10)
            .await
            .expect("other post")
            .is_empty()
    );

    let reply = |parent_id| NewComment {
        post_id: 1,
        parent_id: Some(parent_id),
        author_id: 2,
        body: "deeper".into(),
        created_at: 1,
    };
    assert!(matches!(
        storage.comments.create(reply(4), 3).await,
        Err(StoreError::Invalid { field, .. }) if field == "parent_id"
    ));
    let ok = storage
        .comments
        .create(reply(3), 3)
        .await
        .expect("depth 3 allowed");
    assert_eq!(ok.depth, 3);
    assert!(matches!(
        storage
            .comments
            .create(
                NewComment {
                    post_id: 2,
                    ..reply(3)
                },
                9
            )
            .await,
        Err(StoreError::Invalid { .. })
    ));
    assert_eq!(
        storage.comments.create(reply(999), 9).await,
        Err(StoreError::NotFound { what: "comment" })
    );
    assert_eq!(
        storage
            .comments
            .create(
                NewComment {
                    post_id: 999,
                    ..reply(1)
                },
                9
            )
            .await,
        Err(StoreError::NotFound { what: "post" })
    );
}

#[tokio::test]
async fn notifications_belong_to_their_owner_and_count_unread() {
    let storage = seeded(10).await;
    let notes = &storage.notifications;
    assert_eq!(notes.unread_count(1).await.expect("count"), 3);
    let graces = notes.list(2, false, 10).await.expect("list");
    let grace_note = graces[0].id;
    assert_eq!(notes.get(grace_note, Some(1)).await.expect("get"), None);
    assert_eq!(
        notes.mark_read(grace_note, Some(1), 10).await,
        Err(StoreError::NotFound {
            what: "notification"
        })
    );
    assert!(
        notes.get(grace_note, None).await.expect("get").is_some(),
        "the IDOR path"
    );

    let adas = notes.list(1, true, 10).await.expect("list");
    assert!(adas.windows(2).all(|w| w[0].created_at >= w[1].created_at));
    let read = notes
        .mark_read(adas[0].id, Some(1), 10)
        .await
        .expect("read");
    assert_eq!(read.read_at, Some(10));
    let again = notes
        .mark_read(adas[0].id, Some(1), 20)
        .await
        .expect("read");
    assert_eq!(again.read_at, Some(10), "the first read time stays");
    assert_eq!(notes.mark_all_read(1, 30).await.expect("all"), 2);
    assert_eq!(notes.unread_count(1).await.expect("count"), 0);
    assert_eq!(notes.unread_count(2).await.expect("count"), 2);

    let for_nobody = NewNotification {
        user_id: 999,
        kind: "mention".into(),
        message: "?".into(),
        created_at: 1,
    };
    assert_eq!(
        notes.create(for_nobody).await,
        Err(StoreError::NotFound { what: "user" })
    );
}

#[tokio::test]
async fn reports_group_the_seed_and_plans_use_the_indexes() {
    let storage = seeded(800).await;
    let authors = storage.analytics.posts_per_author(3).await.expect("report");
    assert_eq!(authors.len(), 3);
    assert_eq!(authors[0].posts, 100);
    assert_eq!(authors[0].author_name.as_deref(), Some("Ada Lovelace"));
    let range = crate::analytics::TimeRange {
        from: seed::EPOCH,
        to: seed::EPOCH + 10 * 86_400_000,
    };
    let days = storage
        .analytics
        .signups_per_day(range)
        .await
        .expect("report");
    assert_eq!(days[0].day, "2025-01-06");
    assert_eq!(
        days.iter().map(|d| d.signups).sum::<u64>(),
        seed::USERS.len() as u64
    );
    let revenue = storage.analytics.revenue_per_month().await.expect("report");
    assert!(revenue.iter().any(|m| m.currency == "USD"));
    assert!(
        revenue
            .windows(2)
            .all(|w| (&w[0].month, &w[0].currency) < (&w[1].month, &w[1].currency))
    );

    for target in [
        ExplainTarget::UserByEmail {
            email: "ada@dojo.test".into(),
        },
        ExplainTarget::PostsByAuthor { author_id: 1 },
        ExplainTarget::PostsPageAfter {
            created_at: seed::EPOCH,
            id: 5,
        },
        ExplainTarget::SearchPosts {
            text: "rust".into(),
        },
        ExplainTarget::UnreadNotifications { user_id: 1 },
        ExplainTarget::CommentTree { post_id: 1 },
    ] {
        let plan = storage.schema.explain(target.clone()).await.expect("plan");
        assert!(plan.uses_index, "{target:?}: {:#?}", plan.plan);
    }
    let schema = storage.schema.describe().await.expect("schema");
    let names: Vec<&str> = schema.objects.iter().map(|o| o.name.as_str()).collect();
    for expected in [
        "users",
        "users_email_live",
        "posts",
        "posts_fts",
        "comments",
        "notifications",
        "orders",
    ] {
        assert!(names.contains(&expected), "{expected} in {names:?}");
    }
    assert!(
        !names.iter().any(|n| n.starts_with("posts_fts_")),
        "no FTS shadow tables"
    );
}

#[tokio::test]
async fn a_file_database_is_shared_by_reopening_and_reads_run_beside_writes() {
    let dir = std::env::temp_dir().join(format!("dojo-storage-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temp dir");
    let path = dir.join("data.db");
    let _ = std::fs::remove_file(&path);
    {
        let storage = open(Location::File(path.clone())).expect("file database");
        storage.reset_all("$argon2id$x", 100).await.expect("seed");
    }
    let storage = open(Location::File(path.clone())).expect("reopened");
    assert_eq!(
        storage
            .posts
            .count(PostFilter::default())
            .await
            .expect("count"),
        100
    );
    let created = storage
        .users
        .create(new_user("new@dojo.test"))
        .await
        .expect("created");
    let read = storage
        .users
        .get(created.id, Scope::Live)
        .await
        .expect("read");
    assert_eq!(read, Some(created), "a reader sees the writer's commit");
    drop(storage);
    let _ = std::fs::remove_dir_all(&dir);
}
