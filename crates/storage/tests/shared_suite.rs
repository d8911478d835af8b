//! The one test suite every storage backend passes: each case below runs on a private
//! in-memory SQLite database and on a fresh MongoDB database (nx-27017 started by
//! `support::mongo_server`, or the server named by `DOJO_TEST_MONGODB_URI`).
//!
//! Expectations are computed from the seed in Rust, not read back from either backend, so
//! both backends are held to the same answers. Where nx-27017 differs from real MongoDB
//! the case says so and skips only that assertion on nx-27017; the store's code stays the
//! one for real MongoDB.

mod support;

use support::{Backend, HASH};

/// Runs each named case (an async fn in `cases`) once per backend.
macro_rules! on_both_backends {
    ($($case:ident),+ $(,)?) => {
        mod on_sqlite {
            $(
                #[tokio::test]
                async fn $case() {
                    super::cases::$case(&super::support::sqlite()).await;
                }
            )+
        }
        mod on_mongodb {
            $(
                #[tokio::test]
                async fn $case() {
                    let Some(backend) = super::support::mongo(stringify!($case)).await else {
                        return;
                    };
                    super::cases::$case(&backend).await;
                }
            )+
        }
    };
}

on_both_backends!(
    users_crud_never_returns_the_password_hash_outside_credentials,
    duplicate_email_is_a_conflict_on_create_update_and_reset,
    soft_delete_hides_restores_and_purges,
    user_filters_follow_the_allowlist_and_the_raw_policy_lets_injection_through,
    offset_and_keyset_pages_agree_for_every_sort_and_filter,
    keyset_paging_neither_skips_nor_repeats_while_posts_are_inserted,
    search_finds_posts_with_every_word_as_a_whole_word,
    comments_form_a_tree_with_reply_counts_and_a_depth_limit,
    notifications_belong_to_their_owner_and_count_unread,
    orders_and_reports_match_the_seed,
    each_report_shows_the_query_that_runs,
    schema_and_query_plans_show_the_live_indexes,
    the_large_data_set_seeds_and_pages_deep,
);

#[tokio::test]
async fn mongodb_connect_reads_the_database_from_the_uri_and_refuses_a_bad_one() {
    let refused = dojo_storage::mongo::connect("postgres://not-mongo").await;
    assert!(
        matches!(&refused, Err(dojo_storage::StoreError::Invalid { field, .. }) if field == "mongodb_uri"),
        "{refused:?}"
    );
    let Some(target) = support::mongo_server::shared_target() else {
        return;
    };
    let Some(uri) = target.uri_with_database("dojo_connect_check") else {
        // An external server's URI is used as given; the check needs our own server.
        return;
    };
    let storage = dojo_storage::mongo::connect(&uri).await.expect("connects");
    storage
        .users
        .reset(dojo_storage::seed::users(HASH))
        .await
        .expect("seeds users");
    let client = mongodb::Client::with_uri_str(&uri).await.expect("a client");
    let stored = client
        .database("dojo_connect_check")
        .collection::<mongodb::bson::Document>("users")
        .count_documents(mongodb::bson::doc! {})
        .await
        .expect("counts");
    assert_eq!(
        stored, 12,
        "the users went to the database named in the URI"
    );
}

mod cases {
    use std::collections::{BTreeMap, HashSet};
    use std::fmt::Debug;
    use std::time::{Duration, Instant};

    use dojo_storage::analytics::{AuthorPosts, DaySignups, MonthRevenue, Report, TimeRange};
    use dojo_storage::filter::{Filter, Policy, Scalar, USER_FIELDS};
    use dojo_storage::model::{
        Millis, NewComment, NewNotification, NewOrder, NewPost, NewUser, OrderStatus, Post, Scope,
        UserPatch, UserRole,
    };
    use dojo_storage::query::{
        Cursor, Direction, PostFilter, PostSort, PostSortField, SearchQuery, SortValue,
        search_words,
    };
    use dojo_storage::schema::{Backend as BackendKind, ExplainTarget};
    use dojo_storage::seed::{self, EPOCH};
    use dojo_storage::{StoreError, StoreResult, mongo, sqlite};
    use mongodb::bson::{Bson, Document};
    use serde_json::json;

    use super::{Backend, HASH};

    const MINUTE: Millis = 60_000;
    const DAY: Millis = 24 * 60 * MINUTE;

    fn refused<T: Debug>(result: StoreResult<T>) -> StoreError {
        result.expect_err("the store should refuse this")
    }

    fn is_invalid(error: &StoreError, expected_field: &str) -> bool {
        matches!(error, StoreError::Invalid { field, .. } if field == expected_field)
    }

    async fn reset(backend: &Backend, posts: u64) {
        backend
            .storage
            .reset_all(HASH, posts)
            .await
            .expect("the seed loads");
    }

    fn new_user(email: &str, name: &str, created_at: Millis) -> NewUser {
        NewUser {
            email: email.to_owned(),
            name: name.to_owned(),
            role: UserRole::User,
            password_hash: HASH.to_owned(),
            created_at,
        }
    }

    fn user_filter(value: serde_json::Value, policy: Policy) -> Filter {
        Filter::from_json(&value, USER_FIELDS, policy).expect("a valid filter")
    }

    fn ids<'a, T: 'a>(items: impl IntoIterator<Item = &'a T>, id: fn(&T) -> u64) -> Vec<u64> {
        items.into_iter().map(id).collect()
    }

    /// The `index`-th generated post as every backend must store it.
    fn seeded_post(index: u64) -> Post {
        let post = seed::post(index);
        Post {
            id: index + 1,
            author_id: post.author_id,
            title: post.title,
            body: post.body,
            tag: post.tag,
            likes: post.likes,
            created_at: post.created_at,
        }
    }

    fn matches(post: &Post, filter: &PostFilter) -> bool {
        filter
            .author_id
            .is_none_or(|author| post.author_id == author)
            && filter.tag.as_ref().is_none_or(|tag| &post.tag == tag)
            && filter
                .created_from
                .is_none_or(|from| post.created_at >= from)
            && filter
                .created_before
                .is_none_or(|before| post.created_at < before)
            && filter.min_likes.is_none_or(|likes| post.likes >= likes)
    }

    /// The seeded posts matching `filter` in `sort` order, computed here.
    fn expected_posts(count: u64, filter: &PostFilter, sort: PostSort) -> Vec<Post> {
        let mut posts: Vec<Post> = (0..count)
            .map(seeded_post)
            .filter(|p| matches(p, filter))
            .collect();
        posts.sort_by(|a, b| {
            let by_field = match sort.field {
                PostSortField::Id => std::cmp::Ordering::Equal,
                PostSortField::CreatedAt => a.created_at.cmp(&b.created_at),
                PostSortField::Likes => a.likes.cmp(&b.likes),
                PostSortField::Title => a.title.as_bytes().cmp(b.title.as_bytes()),
            };
            let order = by_field.then(a.id.cmp(&b.id));
            match sort.direction {
                Direction::Asc => order,
                Direction::Desc => order.reverse(),
            }
        });
        posts
    }

    /// `YYYY-MM-DD` of a UTC time (days since the epoch to a civil date).
    fn utc_day(millis: Millis) -> String {
        let days = millis.div_euclid(DAY);
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let day_of_era = z - era * 146_097;
        let year_of_era =
            (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
        let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
        let month_index = (5 * day_of_year + 2) / 153;
        let day = day_of_year - (153 * month_index + 2) / 5 + 1;
        let month = if month_index < 10 {
            month_index + 3
        } else {
            month_index - 9
        };
        let year = year_of_era + era * 400 + i64::from(month <= 2);
        format!("{year:04}-{month:02}-{day:02}")
    }

    // ---------------------------------------------------------------- users (topic 8)

    pub(super) async fn users_crud_never_returns_the_password_hash_outside_credentials(
        backend: &Backend,
    ) {
        let users = &backend.storage.users;
        reset(backend, 3).await;

        let created_at = EPOCH + 20 * DAY;
        let zoe = users
            .create(new_user("zoe@dojo.test", "Zoe", created_at))
            .await
            .expect("created");
        assert_eq!(zoe.id, 13, "the next id after twelve seeded accounts");
        assert_eq!(
            (zoe.created_at, zoe.updated_at, zoe.deleted_at),
            (created_at, created_at, None)
        );
        assert_eq!(
            users.get(13, Scope::Live).await.expect("read"),
            Some(zoe.clone())
        );
        assert_eq!(
            users.by_email("zoe@dojo.test".into()).await.expect("read"),
            Some(zoe.clone())
        );
        assert_eq!(
            users.by_email("ZOE@dojo.test".into()).await.expect("read"),
            None
        );
        let as_json = serde_json::to_string(&zoe).expect("serialises");
        assert!(
            !as_json.contains(HASH) && !as_json.contains("password"),
            "{as_json}"
        );

        let renamed = users
            .update(
                13,
                UserPatch {
                    name: Some("Zoe Q".into()),
                    updated_at: created_at + MINUTE,
                    ..UserPatch::default()
                },
            )
            .await
            .expect("patched");
        assert_eq!(renamed.name, "Zoe Q");
        assert_eq!(
            renamed.email, "zoe@dojo.test",
            "members not in the patch stay"
        );
        assert_eq!(renamed.updated_at, created_at + MINUTE);
        assert_eq!(renamed.created_at, created_at);

        let promoted = users
            .update(
                13,
                UserPatch {
                    role: Some(UserRole::Moderator),
                    password_hash: Some("$argon2id$new".into()),
                    updated_at: created_at + 2 * MINUTE,
                    ..UserPatch::default()
                },
            )
            .await
            .expect("patched");
        assert_eq!(promoted.role, UserRole::Moderator);
        let login = users
            .credentials(
                Filter::user_eq("email", Scalar::Text("zoe@dojo.test".into())).expect("a field"),
                5,
            )
            .await
            .expect("read");
        assert_eq!(login.len(), 1);
        assert_eq!(login[0].password_hash, "$argon2id$new");
        assert_eq!(login[0].user, promoted);

        let page = users
            .list(Filter::all(), Scope::Live, 10, 5)
            .await
            .expect("listed");
        assert_eq!(page.total, 13);
        assert_eq!(ids(&page.items, |u| u.id), [11, 12, 13]);
        let empty = users
            .list(Filter::all(), Scope::Live, 0, 0)
            .await
            .expect("listed");
        assert!(empty.items.is_empty());
        assert_eq!(empty.total, 13, "a zero limit still counts");

        let missing = refused(users.update(999, UserPatch::default()).await);
        assert_eq!(missing, StoreError::NotFound { what: "user" });
        assert_eq!(users.get(999, Scope::All).await.expect("read"), None);
        assert_eq!(users.get(u64::MAX, Scope::All).await.expect("read"), None);
    }

    pub(super) async fn duplicate_email_is_a_conflict_on_create_update_and_reset(
        backend: &Backend,
    ) {
        let users = &backend.storage.users;
        reset(backend, 3).await;
        let conflict = StoreError::Conflict { field: "email" };

        let twin = users
            .create(new_user("ada@dojo.test", "Ada Again", EPOCH))
            .await;
        assert_eq!(refused(twin), conflict, "{}", backend.name());

        let patch = UserPatch {
            email: Some("ada@dojo.test".into()),
            updated_at: EPOCH + DAY,
            ..UserPatch::default()
        };
        assert_eq!(refused(users.update(2, patch).await), conflict);
        let grace = users
            .get(2, Scope::Live)
            .await
            .expect("read")
            .expect("still there");
        assert_eq!(
            grace.email, "grace@dojo.test",
            "a refused patch changes nothing"
        );

        let same_again = UserPatch {
            email: Some("grace@dojo.test".into()),
            updated_at: EPOCH + DAY,
            ..UserPatch::default()
        };
        users
            .update(2, same_again)
            .await
            .expect("keeping one's own email is no conflict");

        let fresh = users
            .create(new_user("new@dojo.test", "New", EPOCH))
            .await
            .expect("created");
        assert_eq!(fresh.email, "new@dojo.test");

        let doubled = vec![
            new_user("x@dojo.test", "X", EPOCH),
            new_user("x@dojo.test", "Y", EPOCH),
        ];
        assert_eq!(refused(users.reset(doubled).await), conflict);
    }

    // ---------------------------------------------------------- soft delete (topic 13)

    pub(super) async fn soft_delete_hides_restores_and_purges(backend: &Backend) {
        let users = &backend.storage.users;
        let notifications = &backend.storage.notifications;
        reset(backend, 3).await;
        let deleted_at = EPOCH + 40 * DAY;

        let barbara = users.soft_delete(4, deleted_at).await.expect("deleted");
        assert_eq!(
            (barbara.deleted_at, barbara.updated_at),
            (Some(deleted_at), deleted_at)
        );
        let gone = StoreError::NotFound { what: "user" };
        assert_eq!(
            refused(users.soft_delete(4, deleted_at).await),
            gone,
            "deleting twice"
        );
        assert_eq!(users.get(4, Scope::Live).await.expect("read"), None);
        assert_eq!(
            users.get(4, Scope::Deleted).await.expect("read"),
            Some(barbara.clone())
        );
        assert_eq!(
            users.get(4, Scope::All).await.expect("read"),
            Some(barbara.clone())
        );
        assert_eq!(users.get(1, Scope::Deleted).await.expect("read"), None);
        assert_eq!(
            users
                .by_email("barbara@dojo.test".into())
                .await
                .expect("read"),
            None
        );
        let trash = users
            .list(Filter::all(), Scope::Deleted, 0, 50)
            .await
            .expect("listed");
        assert_eq!((ids(&trash.items, |u| u.id), trash.total), (vec![4], 1));
        assert_eq!(
            users
                .list(Filter::all(), Scope::Live, 0, 50)
                .await
                .expect("listed")
                .total,
            11
        );
        let by_email = Filter::user_eq("email", Scalar::Text("barbara@dojo.test".into()));
        let login = users
            .credentials(by_email.expect("a field"), 5)
            .await
            .expect("read");
        assert!(login.is_empty(), "a deleted account cannot log in");
        let patch = UserPatch {
            name: Some("B".into()),
            updated_at: deleted_at,
            ..UserPatch::default()
        };
        assert_eq!(refused(users.update(4, patch).await), gone);

        let restored = users.restore(4, deleted_at + DAY).await.expect("restored");
        assert_eq!(
            (restored.deleted_at, restored.updated_at),
            (None, deleted_at + DAY)
        );
        assert_eq!(
            refused(users.restore(4, deleted_at).await),
            gone,
            "restoring a live one"
        );
        assert_eq!(refused(users.restore(999, deleted_at).await), gone);

        // A deleted account's address can be taken; restoring it then conflicts.
        users
            .soft_delete(4, deleted_at)
            .await
            .expect("deleted again");
        let taken = users
            .create(new_user("barbara@dojo.test", "Barbara Two", deleted_at))
            .await;
        if backend.nx_27017 {
            // nx-27017 creates a partial index as a full one: the unique index still holds
            // the deleted account's address. Real MongoDB leaves documents outside
            // `partialFilterExpression: {deleted_at: null}` out of the index, like SQLite.
            assert_eq!(refused(taken), StoreError::Conflict { field: "email" });
        } else {
            let newcomer = taken.expect("a deleted account's address is free again");
            assert_eq!(newcomer.email, "barbara@dojo.test");
            let back = users.restore(4, deleted_at + DAY).await;
            assert_eq!(refused(back), StoreError::Conflict { field: "email" });
            let still = users.get(4, Scope::Deleted).await.expect("read");
            assert!(
                still.is_some(),
                "a refused restore leaves the account deleted"
            );
        }

        // Purge: only accounts deleted before the cut, with their notifications.
        let note = NewNotification {
            user_id: 5,
            kind: "mention".into(),
            message: "Edsger was mentioned".into(),
            created_at: deleted_at,
        };
        let edsger_note = notifications.create(note).await.expect("created");
        users
            .soft_delete(5, deleted_at + 2 * DAY)
            .await
            .expect("deleted");
        assert_eq!(
            users.purge_deleted(deleted_at + DAY).await.expect("purged"),
            1
        );
        assert_eq!(
            users.get(4, Scope::All).await.expect("read"),
            None,
            "purged for good"
        );
        assert!(
            users.get(5, Scope::Deleted).await.expect("read").is_some(),
            "too recent"
        );
        assert!(
            notifications
                .get(edsger_note.id, None)
                .await
                .expect("read")
                .is_some()
        );
        assert_eq!(
            users
                .purge_deleted(deleted_at + 3 * DAY)
                .await
                .expect("purged"),
            1
        );
        assert_eq!(
            notifications.get(edsger_note.id, None).await.expect("read"),
            None
        );
        assert_eq!(
            users
                .purge_deleted(deleted_at + 3 * DAY)
                .await
                .expect("purged"),
            0
        );
    }

    // ---------------------------------------------------- filters, injection (topic 11)

    pub(super) async fn user_filters_follow_the_allowlist_and_the_raw_policy_lets_injection_through(
        backend: &Backend,
    ) {
        let users = &backend.storage.users;
        reset(backend, 3).await;
        let allow = Policy::Allowlist;
        let listed = |filter: Filter, scope: Scope| async move {
            let page = users.list(filter, scope, 0, 100).await.expect("listed");
            assert_eq!(page.total as usize, page.items.len());
            ids(&page.items, |u| u.id)
        };

        assert_eq!(
            listed(user_filter(json!({ "role": "admin" }), allow), Scope::Live).await,
            [2]
        );
        let since_day_six = seed::users(HASH)[9].created_at;
        let recent = user_filter(json!({ "created_at": { "$gte": since_day_six } }), allow);
        assert_eq!(listed(recent, Scope::Live).await, [10, 11, 12]);
        let some = user_filter(json!({ "id": { "$in": [1, 3, 99] } }), allow);
        assert_eq!(listed(some, Scope::Live).await, [1, 3]);
        let range = json!({ "name": { "$ne": "Ada Lovelace" }, "id": { "$lte": 3 } });
        assert_eq!(listed(user_filter(range, allow), Scope::Live).await, [2, 3]);
        let others = user_filter(json!({ "email": { "$nin": ["ada@dojo.test"] } }), allow);
        assert_eq!(listed(others, Scope::Live).await.len(), 11);
        let byte_order = user_filter(json!({ "email": { "$lt": "c" } }), allow);
        assert_eq!(
            listed(byte_order, Scope::Live).await,
            [1, 4],
            "ada and barbara sort before c"
        );

        // The injection of topic 11: the allowlist refuses it, the raw policy runs it and
        // the password check matches every account.
        let injection = json!({ "email": "ada@dojo.test", "password": { "$ne": null } });
        let refused_filter = Filter::from_json(&injection, USER_FIELDS, allow);
        assert!(is_invalid(&refused(refused_filter), "filter.password"));
        let raw = user_filter(injection, Policy::Raw);
        let logged_in = users.credentials(raw, 1).await.expect("read");
        assert_eq!(
            logged_in.len(),
            1,
            "{}: logged in without a password",
            backend.name()
        );
        assert_eq!(logged_in[0].user.email, "ada@dojo.test");
        let everyone = user_filter(json!({ "password": { "$ne": null } }), Policy::Raw);
        assert_eq!(
            users.credentials(everyone, 100).await.expect("read").len(),
            12
        );

        let pattern = json!({ "email": { "$regex": "^(ADA|grace)@", "$options": "i" } });
        assert_eq!(
            listed(user_filter(pattern, Policy::Raw), Scope::Live).await,
            [1, 2]
        );
        users
            .soft_delete(4, EPOCH + 40 * DAY)
            .await
            .expect("deleted");
        let deleted = user_filter(json!({ "deleted_at": { "$exists": true } }), Policy::Raw);
        assert_eq!(listed(deleted, Scope::All).await, [4]);
        let live = user_filter(json!({ "deleted_at": null }), Policy::Raw);
        assert_eq!(listed(live, Scope::All).await.len(), 11);
    }

    // ---------------------------------------------------------- pagination (topic 10)

    fn every_sort() -> Vec<PostSort> {
        let fields = [
            PostSortField::Id,
            PostSortField::CreatedAt,
            PostSortField::Likes,
            PostSortField::Title,
        ];
        fields
            .into_iter()
            .flat_map(|field| {
                [Direction::Asc, Direction::Desc]
                    .into_iter()
                    .map(move |direction| PostSort { field, direction })
            })
            .collect()
    }

    pub(super) async fn offset_and_keyset_pages_agree_for_every_sort_and_filter(backend: &Backend) {
        const POSTS: u64 = 300;
        const PAGE: u32 = 37;
        let posts = &backend.storage.posts;
        reset(backend, POSTS).await;
        let filters = [
            PostFilter::default(),
            PostFilter {
                tag: Some("rust".into()),
                ..PostFilter::default()
            },
            PostFilter {
                author_id: Some(3),
                min_likes: Some(100),
                ..PostFilter::default()
            },
            PostFilter {
                created_from: Some(EPOCH + 50 * MINUTE),
                created_before: Some(EPOCH + 250 * MINUTE),
                ..PostFilter::default()
            },
        ];
        for filter in &filters {
            assert_eq!(
                posts.count(filter.clone()).await.expect("counted"),
                expected_posts(POSTS, filter, PostSort::default()).len() as u64
            );
            for sort in every_sort() {
                let expected = expected_posts(POSTS, filter, sort);
                let context = format!("{} {sort:?} {filter:?}", backend.name());

                let mut by_offset = Vec::new();
                loop {
                    let page = posts
                        .page_by_offset(filter.clone(), sort, by_offset.len() as u64, PAGE)
                        .await
                        .expect("a page");
                    assert_eq!(page.total as usize, expected.len(), "{context}");
                    if page.items.is_empty() {
                        break;
                    }
                    by_offset.extend(page.items);
                }
                assert_eq!(by_offset, expected, "offset pages, {context}");

                let mut by_keyset = Vec::new();
                let mut after = None;
                loop {
                    let page = posts
                        .page_after(filter.clone(), sort, after, PAGE)
                        .await
                        .expect("a page");
                    assert!(page.items.len() <= PAGE as usize);
                    by_keyset.extend(page.items);
                    match page.next {
                        Some(next) => after = Some(next),
                        None => break,
                    }
                }
                assert_eq!(by_keyset, expected, "keyset pages, {context}");
            }
        }

        let sort = PostSort::default();
        let none = posts
            .page_after(PostFilter::default(), sort, None, 0)
            .await
            .expect("a page");
        assert!(
            none.items.is_empty() && none.next.is_none(),
            "a zero limit answers no rows"
        );
        let exact = posts
            .page_after(PostFilter::default(), sort, None, POSTS as u32)
            .await;
        assert!(
            exact.expect("a page").next.is_none(),
            "no next page when nothing follows"
        );

        let by_title = PostSort {
            field: PostSortField::Title,
            direction: Direction::Asc,
        };
        let newest = Cursor {
            sort,
            value: SortValue::Int(EPOCH),
            id: 5,
        };
        let other_sort = posts
            .page_after(PostFilter::default(), by_title, Some(newest), 10)
            .await;
        assert!(is_invalid(&refused(other_sort), "cursor"));
        let wrong_type = Cursor {
            sort: by_title,
            value: SortValue::Int(3),
            id: 5,
        };
        let mistyped = posts
            .page_after(PostFilter::default(), by_title, Some(wrong_type), 10)
            .await;
        assert!(is_invalid(&refused(mistyped), "cursor"));
    }

    pub(super) async fn keyset_paging_neither_skips_nor_repeats_while_posts_are_inserted(
        backend: &Backend,
    ) {
        const POSTS: u64 = 200;
        const PAGE: u32 = 20;
        let posts = &backend.storage.posts;
        reset(backend, POSTS).await;
        let newest_first = PostSort::default();
        let mut inserted_at = EPOCH + POSTS as i64 * MINUTE;
        let mut insert_three = || {
            let batch: Vec<NewPost> = (0..3)
                .map(|_| {
                    inserted_at += MINUTE;
                    NewPost {
                        author_id: 1,
                        title: "Breaking news".into(),
                        body: "Inserted while someone pages".into(),
                        tag: "api".into(),
                        likes: 0,
                        created_at: inserted_at,
                    }
                })
                .collect();
            batch
        };

        let mut seen = Vec::new();
        let mut after = None;
        loop {
            let page = posts
                .page_after(PostFilter::default(), newest_first, after, PAGE)
                .await
                .expect("a page");
            seen.extend(page.items.iter().map(|p| p.id));
            for post in insert_three() {
                posts.create(post).await.expect("inserted");
            }
            match page.next {
                Some(next) => after = Some(next),
                None => break,
            }
        }
        let unique: HashSet<u64> = seen.iter().copied().collect();
        assert_eq!(
            unique.len(),
            seen.len(),
            "{}: keyset paging repeated a row",
            backend.name()
        );
        assert_eq!(
            seen,
            (1..=POSTS).rev().collect::<Vec<_>>(),
            "every original post once, in order"
        );

        // Offset paging under the same inserts shows what keyset paging avoids: the new
        // rows push old ones onto the next page, which then repeats them.
        let mut by_offset = Vec::new();
        for page_number in 0..5u64 {
            let page = posts
                .page_by_offset(
                    PostFilter::default(),
                    newest_first,
                    page_number * u64::from(PAGE),
                    PAGE,
                )
                .await
                .expect("a page");
            by_offset.extend(page.items.iter().map(|p| p.id));
            for post in insert_three() {
                posts.create(post).await.expect("inserted");
            }
        }
        let distinct: HashSet<u64> = by_offset.iter().copied().collect();
        assert!(
            distinct.len() < by_offset.len(),
            "offset paging repeats rows under inserts"
        );
    }

    // ------------------------------------------------------------------ search (11)

    /// The ids of seeded posts whose title or body has every word of `text` as a whole
    /// word, ignoring case, computed here.
    fn expected_hits(count: u64, text: &str, filter: &PostFilter) -> Vec<u64> {
        let words = search_words(text);
        let mut found: Vec<u64> = (0..count)
            .map(seeded_post)
            .filter(|post| matches(post, filter))
            .filter(|post| {
                let text = format!("{} {}", post.title, post.body).to_lowercase();
                let present: HashSet<&str> = text
                    .split(|c: char| !c.is_alphanumeric())
                    .filter(|w| !w.is_empty())
                    .collect();
                words.iter().all(|word| present.contains(word.as_str()))
            })
            .map(|post| post.id)
            .collect();
        found.sort_unstable();
        found
    }

    pub(super) async fn search_finds_posts_with_every_word_as_a_whole_word(backend: &Backend) {
        const POSTS: u64 = 400;
        let posts = &backend.storage.posts;
        reset(backend, POSTS).await;
        let search = |text: &str, filter: PostFilter, limit: u32| {
            posts.search(SearchQuery {
                text: text.to_owned(),
                filter,
                limit,
            })
        };

        let cases = [
            ("keyset PAGINATION", PostFilter::default()),
            ("connection pools production", PostFilter::default()),
            ("tagged DATABASES", PostFilter::default()),
            (
                "cache invalidation",
                PostFilter {
                    author_id: Some(2),
                    ..PostFilter::default()
                },
            ),
            ("pool", PostFilter::default()),
            (r#"rust" OR $where NEAR(x*"#, PostFilter::default()),
            ("Post 17 on", PostFilter::default()),
        ];
        for (text, filter) in cases {
            let expected = expected_hits(POSTS, text, &filter);
            let hits = search(text, filter.clone(), 1000).await.expect("searched");
            let mut found: Vec<u64> = hits.iter().map(|hit| hit.post.id).collect();
            found.sort_unstable();
            assert_eq!(found, expected, "{}: {text:?}", backend.name());
            for hit in &hits {
                assert_eq!(
                    hit.post,
                    seeded_post(hit.post.id - 1),
                    "hits carry the stored post"
                );
            }
            for pair in hits.windows(2) {
                let (a, b) = (&pair[0], &pair[1]);
                let ordered = a.score > b.score || (a.score == b.score && a.post.id > b.post.id);
                assert!(
                    ordered,
                    "{text:?}: most relevant first, ties by id descending"
                );
            }
        }
        assert!(!expected_hits(POSTS, "keyset pagination", &PostFilter::default()).is_empty());
        assert!(
            expected_hits(POSTS, "pool", &PostFilter::default()).is_empty(),
            "pools only"
        );

        let few = search("keyset pagination", PostFilter::default(), 3)
            .await
            .expect("searched");
        assert_eq!(few.len(), 3, "the limit holds");
        let all = expected_hits(POSTS, "keyset pagination", &PostFilter::default());
        assert!(few.iter().all(|hit| all.contains(&hit.post.id)));
        assert!(
            search("rust", PostFilter::default(), 0)
                .await
                .expect("searched")
                .is_empty()
        );
        assert!(is_invalid(
            &refused(search("  $$ ", PostFilter::default(), 10).await),
            "q"
        ));
    }

    // --------------------------------------------------------- nested comments (12)

    pub(super) async fn comments_form_a_tree_with_reply_counts_and_a_depth_limit(
        backend: &Backend,
    ) {
        let comments = &backend.storage.comments;
        reset(backend, 3).await;
        let shape = |thread: &[dojo_storage::model::Comment]| -> Vec<(u64, u32, u64)> {
            thread
                .iter()
                .map(|c| (c.id, c.depth, c.reply_count))
                .collect()
        };

        let whole = comments.thread(1, None, 10).await.expect("a thread");
        assert_eq!(
            shape(&whole),
            [
                (1, 0, 2),
                (2, 1, 1),
                (3, 2, 1),
                (4, 3, 0),
                (5, 1, 0),
                (6, 0, 1),
                (7, 1, 0)
            ],
            "{}: pre-order, replies right after their parent, siblings by id",
            backend.name()
        );
        assert_eq!(whole[1].parent_id, Some(1));
        assert_eq!(whole[0].body, "Which pool size did you settle on?");
        let shallow = comments.thread(1, None, 1).await.expect("a thread");
        assert_eq!(
            shape(&shallow),
            [(1, 0, 2), (2, 1, 1), (5, 1, 0), (6, 0, 1), (7, 1, 0)],
            "deeper replies are left out but still counted"
        );
        let subtree = comments.thread(1, Some(2), 10).await.expect("a thread");
        assert_eq!(ids(&subtree, |c| c.id), [2, 3, 4]);
        assert!(
            comments
                .thread(2, Some(2), 10)
                .await
                .expect("a thread")
                .is_empty()
        );
        assert_eq!(
            ids(
                &comments.thread(2, None, 10).await.expect("a thread"),
                |c| c.id
            ),
            [8, 9]
        );

        let reply = |parent_id: Option<u64>, post_id: u64| NewComment {
            post_id,
            parent_id,
            author_id: 3,
            body: "Depth check".into(),
            created_at: EPOCH + 31 * DAY,
        };
        let deepest = comments
            .create(reply(Some(4), 1), 4)
            .await
            .expect("depth 4 is allowed");
        assert_eq!(
            (deepest.id, deepest.depth, deepest.parent_id),
            (10, 4, Some(4))
        );
        let too_deep = comments.create(reply(Some(10), 1), 4).await;
        assert!(
            is_invalid(&refused(too_deep), "parent_id"),
            "a fifth level is refused"
        );
        assert_eq!(
            comments
                .get(4)
                .await
                .expect("read")
                .expect("exists")
                .reply_count,
            1
        );
        assert_eq!(
            comments
                .get(10)
                .await
                .expect("read")
                .expect("exists")
                .reply_count,
            0
        );

        let no_post = comments.create(reply(None, 99), 4).await;
        assert_eq!(refused(no_post), StoreError::NotFound { what: "post" });
        let no_parent = comments.create(reply(Some(999), 1), 4).await;
        assert_eq!(refused(no_parent), StoreError::NotFound { what: "comment" });
        let other_post = comments.create(reply(Some(8), 1), 4).await;
        assert!(is_invalid(&refused(other_post), "parent_id"));

        let top = comments
            .create(reply(None, 3), 0)
            .await
            .expect("top level at depth 0");
        assert_eq!(
            (top.id, top.depth, top.parent_id, top.reply_count),
            (11, 0, None, 0)
        );
        assert_eq!(comments.thread(3, None, 5).await.expect("a thread"), [top]);
        assert_eq!(comments.get(999).await.expect("read"), None);

        // Regenerating the posts removes their comments.
        backend
            .storage
            .posts
            .regenerate(3)
            .await
            .expect("regenerated");
        assert!(
            comments
                .thread(1, None, 10)
                .await
                .expect("a thread")
                .is_empty()
        );
    }

    // ------------------------------------------------- notification read state (26)

    pub(super) async fn notifications_belong_to_their_owner_and_count_unread(backend: &Backend) {
        let notifications = &backend.storage.notifications;
        reset(backend, 3).await;
        let gone = StoreError::NotFound {
            what: "notification",
        };
        let at = EPOCH + 60 * DAY;

        assert_eq!(notifications.unread_count(1).await.expect("counted"), 3);
        assert_eq!(notifications.unread_count(2).await.expect("counted"), 2);
        let newest_first = notifications.list(1, false, 10).await.expect("listed");
        assert_eq!(ids(&newest_first, |n| n.id), [3, 1, 2]);
        assert_eq!(
            notifications.list(1, false, 1).await.expect("listed").len(),
            1
        );

        // Grace's notification is invisible to Ada, unless the IDOR switch drops the check.
        assert_eq!(notifications.get(4, Some(1)).await.expect("read"), None);
        assert_eq!(
            notifications
                .get(4, Some(2))
                .await
                .expect("read")
                .map(|n| n.user_id),
            Some(2)
        );
        assert_eq!(
            notifications
                .get(4, None)
                .await
                .expect("read")
                .map(|n| n.user_id),
            Some(2)
        );
        assert_eq!(refused(notifications.mark_read(4, Some(1), at).await), gone);
        assert_eq!(
            refused(notifications.mark_read(99, Some(1), at).await),
            gone
        );
        assert_eq!(
            notifications.unread_count(2).await.expect("counted"),
            2,
            "untouched"
        );

        let read = notifications
            .mark_read(1, Some(1), at)
            .await
            .expect("marked");
        assert_eq!(read.read_at, Some(at));
        let again = notifications
            .mark_read(1, Some(1), at + DAY)
            .await
            .expect("marked");
        assert_eq!(again.read_at, Some(at), "the first read time stays");
        assert_eq!(notifications.unread_count(1).await.expect("counted"), 2);
        assert_eq!(
            ids(
                &notifications.list(1, true, 10).await.expect("listed"),
                |n| n.id
            ),
            [3, 2]
        );

        let idor = notifications
            .mark_read(5, None, at)
            .await
            .expect("the switch's hole");
        assert_eq!((idor.user_id, idor.read_at), (2, Some(at)));

        assert_eq!(
            notifications
                .mark_all_read(1, at + 2 * DAY)
                .await
                .expect("marked"),
            2
        );
        assert_eq!(
            notifications
                .mark_all_read(1, at + 3 * DAY)
                .await
                .expect("marked"),
            0
        );
        assert_eq!(notifications.unread_count(1).await.expect("counted"), 0);
        let first = notifications
            .get(1, Some(1))
            .await
            .expect("read")
            .expect("exists");
        assert_eq!(
            first.read_at,
            Some(at),
            "marking all keeps earlier read times"
        );
        assert_eq!(
            notifications.unread_count(2).await.expect("counted"),
            1,
            "only Ada's"
        );

        let note = |user_id| NewNotification {
            user_id,
            kind: "order.paid".into(),
            message: "Your order was paid".into(),
            created_at: at + 4 * DAY,
        };
        let fresh = notifications.create(note(1)).await.expect("created");
        assert_eq!((fresh.id, fresh.read_at), (6, None));
        assert_eq!(notifications.unread_count(1).await.expect("counted"), 1);
        assert_eq!(
            notifications.list(1, false, 10).await.expect("listed")[0],
            fresh
        );
        let nobody = StoreError::NotFound { what: "user" };
        assert_eq!(refused(notifications.create(note(999)).await), nobody);
        backend
            .storage
            .users
            .soft_delete(3, at)
            .await
            .expect("deleted");
        assert_eq!(
            refused(notifications.create(note(3)).await),
            nobody,
            "deleted users too"
        );
    }

    // ----------------------------------------------------- orders, analytics (28)

    pub(super) async fn orders_and_reports_match_the_seed(backend: &Backend) {
        const POSTS: u64 = 240;
        let storage = &backend.storage;
        reset(backend, POSTS).await;

        let mut expected_orders: Vec<(u64, NewOrder)> = (1..).zip(seed::orders()).collect();
        expected_orders.retain(|(_, order)| order.user_id == 1);
        expected_orders.sort_by_key(|(id, order)| std::cmp::Reverse((order.created_at, *id)));
        let listed = storage.orders.list_for_user(1).await.expect("listed");
        assert_eq!(
            ids(&listed, |o| o.id),
            expected_orders
                .iter()
                .map(|(id, _)| *id)
                .collect::<Vec<_>>()
        );
        assert_eq!(listed[0].total_cents, expected_orders[0].1.total_cents);
        let refunded = storage
            .orders
            .set_status(1, OrderStatus::Refunded)
            .await
            .expect("set");
        assert_eq!(refunded.status, OrderStatus::Refunded);
        assert_eq!(storage.orders.get(1).await.expect("read"), Some(refunded));
        let missing = storage.orders.set_status(999, OrderStatus::Paid).await;
        assert_eq!(refused(missing), StoreError::NotFound { what: "order" });
        let order = NewOrder {
            user_id: 2,
            total_cents: 1999,
            currency: "EUR".into(),
            status: OrderStatus::Paid,
            created_at: EPOCH + 200 * DAY,
        };
        assert_eq!(storage.orders.create(order).await.expect("created").id, 37);

        // Signups per UTC day in [day 1, day 9): the seed's days 1, 3, 4 and 6.
        let range = TimeRange {
            from: EPOCH + DAY,
            to: EPOCH + 9 * DAY,
        };
        let mut per_day: BTreeMap<String, u64> = BTreeMap::new();
        for user in seed::users(HASH) {
            if user.created_at >= range.from && user.created_at < range.to {
                *per_day.entry(utc_day(user.created_at)).or_default() += 1;
            }
        }
        let expected_days: Vec<DaySignups> = per_day
            .into_iter()
            .map(|(day, signups)| DaySignups { day, signups })
            .collect();
        assert_eq!(utc_day(EPOCH + DAY), "2025-01-07");
        assert_eq!(expected_days.len(), 4);
        if backend.nx_27017 {
            // nx-27017 has no `$toDate`, which turns the stored milliseconds into a date for
            // `$dateToString` (MongoDB 4.0 and later have it). Only the pipeline's text is
            // checked here.
            let pipeline = storage.analytics.report_query(Report::SignupsPerDay);
            assert!(
                pipeline.contains("\"$toDate\": \"$created_at\""),
                "{pipeline}"
            );
        } else {
            let days = storage.analytics.signups_per_day(range).await;
            assert_eq!(days.expect("a report"), expected_days);
        }

        // Posts per author: 240 posts over eight authors, ties broken by author id.
        storage
            .users
            .soft_delete(8, EPOCH + DAY)
            .await
            .expect("deleted");
        storage
            .users
            .purge_deleted(EPOCH + 2 * DAY)
            .await
            .expect("purged");
        let mut per_author: BTreeMap<u64, (u64, i64)> = BTreeMap::new();
        for post in (0..POSTS).map(seeded_post) {
            let entry = per_author.entry(post.author_id).or_default();
            entry.0 += 1;
            entry.1 += post.likes;
        }
        let mut expected: Vec<AuthorPosts> = per_author
            .into_iter()
            .map(|(author_id, (posts, likes))| AuthorPosts {
                author_id,
                author_name: (author_id != 8)
                    .then(|| seed::USERS[(author_id - 1) as usize].1.to_owned()),
                posts,
                likes,
            })
            .collect();
        expected.sort_by_key(|row| (std::cmp::Reverse(row.posts), row.author_id));
        let report = storage
            .analytics
            .posts_per_author(8)
            .await
            .expect("a report");
        assert_eq!(
            report,
            expected,
            "{}: a purged author shows as unknown",
            backend.name()
        );
        assert_eq!(
            storage
                .analytics
                .posts_per_author(3)
                .await
                .expect("a report"),
            expected[..3]
        );

        // Revenue per UTC month and currency of paid orders (order 1 was refunded above,
        // order 37 added as paid).
        let mut orders: Vec<NewOrder> = seed::orders();
        orders[0].status = OrderStatus::Refunded;
        orders.push(NewOrder {
            user_id: 2,
            total_cents: 1999,
            currency: "EUR".into(),
            status: OrderStatus::Paid,
            created_at: EPOCH + 200 * DAY,
        });
        let mut per_month: BTreeMap<(String, String), (u64, i64)> = BTreeMap::new();
        for order in orders.iter().filter(|o| o.status == OrderStatus::Paid) {
            let month = utc_day(order.created_at)[..7].to_owned();
            let entry = per_month
                .entry((month, order.currency.clone()))
                .or_default();
            entry.0 += 1;
            entry.1 += order.total_cents;
        }
        let expected_revenue: Vec<MonthRevenue> = per_month
            .into_iter()
            .map(
                |((month, currency), (paid_orders, revenue_cents))| MonthRevenue {
                    month,
                    currency,
                    paid_orders,
                    revenue_cents,
                },
            )
            .collect();
        if backend.nx_27017 {
            // nx-27017 cannot group by a compound key (`_id: {month: ..., currency: ...}`):
            // it answers the key expression itself instead of its values. Real MongoDB runs
            // this pipeline as written; here only its text is checked.
            let pipeline = storage.analytics.report_query(Report::RevenuePerMonth);
            assert!(
                pipeline.contains("\"currency\": \"$currency\""),
                "{pipeline}"
            );
        } else {
            let revenue = storage
                .analytics
                .revenue_per_month()
                .await
                .expect("a report");
            assert_eq!(revenue, expected_revenue);
        }

        for report in Report::ALL {
            let query = storage.analytics.report_query(report);
            let grouping = match storage.backend {
                BackendKind::Sqlite => "GROUP BY",
                BackendKind::Mongodb => "$group",
            };
            assert!(query.contains(grouping), "{report:?}: {query}");
        }
    }

    /// `shown` with each `"<name>"` placeholder string replaced by its value.
    fn filled(shown: &serde_json::Value, values: &[(&str, i64)]) -> serde_json::Value {
        match shown {
            serde_json::Value::String(text) => values
                .iter()
                .find(|(name, _)| *text == format!("<{name}>"))
                .map_or_else(|| shown.clone(), |(_, value)| json!(value)),
            serde_json::Value::Array(items) => {
                items.iter().map(|item| filled(item, values)).collect()
            }
            serde_json::Value::Object(members) => members
                .iter()
                .map(|(key, value)| (key.clone(), filled(value, values)))
                .collect(),
            other => other.clone(),
        }
    }

    /// Runs a pipeline given as JSON stages on `collection`, straight through the driver.
    /// The stages are read as extended JSON, the way a shell reads a pasted pipeline: small
    /// whole numbers (sort directions, `$sum: 1`) become 32-bit integers, as in the stages
    /// the store builds.
    async fn aggregate(
        database: &mongodb::Database,
        collection: &str,
        stages: serde_json::Value,
    ) -> Vec<Document> {
        let stages: Vec<Document> = stages
            .as_array()
            .expect("a pipeline is an array of stages")
            .iter()
            .map(|stage| match Bson::try_from(stage.clone()) {
                Ok(Bson::Document(stage)) => stage,
                other => panic!("a stage is a document, not {other:?}"),
            })
            .collect();
        let mut cursor = database
            .collection::<Document>(collection)
            .aggregate(stages)
            .await
            .expect("the shown pipeline runs");
        let mut groups = Vec::new();
        while cursor.advance().await.expect("the cursor reads") {
            groups.push(cursor.deserialize_current().expect("a group"));
        }
        groups
    }

    /// A whole number `$sum` or `$group` produced, however the server typed it.
    fn whole(group: &Document, key: &str) -> i64 {
        match group.get(key) {
            Some(Bson::Int32(value)) => i64::from(*value),
            Some(Bson::Int64(value)) => *value,
            Some(Bson::Double(value)) => *value as i64,
            other => panic!("{key} is {other:?} in {group}"),
        }
    }

    fn text(group: &Document, key: &str) -> String {
        group.get_str(key).expect("a text member").to_owned()
    }

    /// What a report shows as its query is the query its store runs: on SQLite the
    /// statement, on MongoDB the pipeline, which run here by hand, filled in with the
    /// request's values, answers the rows the store answers.
    pub(super) async fn each_report_shows_the_query_that_runs(backend: &Backend) {
        let storage = &backend.storage;
        reset(backend, 240).await;
        for report in Report::ALL {
            let query = storage.analytics.report_query(report);
            match storage.backend {
                BackendKind::Sqlite => assert_eq!(query, sqlite::report_sql(report)),
                BackendKind::Mongodb => assert_eq!(
                    serde_json::from_str::<serde_json::Value>(&query).expect("JSON stages"),
                    mongo::report_pipeline(report),
                    "{report:?}"
                ),
            }
        }
        let Some(database) = &backend.database else {
            return;
        };

        let shown = mongo::report_pipeline(Report::PostsPerAuthor);
        let groups = aggregate(database, "posts", filled(&shown, &[("limit", 3)])).await;
        let by_hand: Vec<AuthorPosts> = groups
            .iter()
            .map(|group| AuthorPosts {
                author_id: u64::try_from(whole(group, "_id")).expect("an id"),
                author_name: group
                    .get_array("author")
                    .expect("the looked-up authors")
                    .first()
                    .and_then(Bson::as_document)
                    .map(|author| text(author, "name")),
                posts: u64::try_from(whole(group, "posts")).expect("a count"),
                likes: whole(group, "likes"),
            })
            .collect();
        assert_eq!(by_hand.len(), 3);
        let run = storage.analytics.posts_per_author(3).await;
        assert_eq!(by_hand, run.expect("a report"));

        if backend.nx_27017 {
            // nx-27017 lacks `$toDate` and compound `$group` keys (see
            // `orders_and_reports_match_the_seed`), which the other two reports use; real
            // MongoDB runs both here.
            return;
        }
        let range = TimeRange {
            from: EPOCH + DAY,
            to: EPOCH + 9 * DAY,
        };
        let shown = mongo::report_pipeline(Report::SignupsPerDay);
        let values = [("from", range.from), ("to", range.to)];
        let groups = aggregate(database, "users", filled(&shown, &values)).await;
        let by_hand: Vec<DaySignups> = groups
            .iter()
            .map(|group| DaySignups {
                day: text(group, "_id"),
                signups: u64::try_from(whole(group, "signups")).expect("a count"),
            })
            .collect();
        assert!(!by_hand.is_empty());
        let run = storage.analytics.signups_per_day(range).await;
        assert_eq!(by_hand, run.expect("a report"));

        let shown = mongo::report_pipeline(Report::RevenuePerMonth);
        let groups = aggregate(database, "orders", shown).await;
        let by_hand: Vec<MonthRevenue> = groups
            .iter()
            .map(|group| {
                let key = group.get_document("_id").expect("a month and currency");
                MonthRevenue {
                    month: text(key, "month"),
                    currency: text(key, "currency"),
                    paid_orders: u64::try_from(whole(group, "paid_orders")).expect("a count"),
                    revenue_cents: whole(group, "revenue_cents"),
                }
            })
            .collect();
        assert!(!by_hand.is_empty());
        let run = storage.analytics.revenue_per_month().await;
        assert_eq!(by_hand, run.expect("a report"));
    }

    // --------------------------------------------------------------- schema (9)

    pub(super) async fn schema_and_query_plans_show_the_live_indexes(backend: &Backend) {
        let schema = &backend.storage.schema;
        reset(backend, 50).await;

        let described = schema.describe().await.expect("described");
        assert_eq!(described.backend, backend.storage.backend);
        let order: Vec<(String, String)> = described
            .objects
            .iter()
            .map(|o| (o.on.clone(), o.name.clone()))
            .collect();
        let mut sorted = order.clone();
        sorted.sort();
        assert_eq!(order, sorted, "ordered by table or collection, then name");
        for table in ["users", "posts", "comments", "notifications", "orders"] {
            assert!(
                described.objects.iter().any(|o| o.name == table),
                "{table} is described"
            );
        }
        let email_index = described
            .objects
            .iter()
            .find(|o| o.kind == "index" && o.on == "users" && o.definition.contains("email"))
            .expect("an index on users' email");
        let definition = email_index.definition.to_lowercase();
        assert!(definition.contains("unique"), "{definition}");
        if !backend.nx_27017 {
            // nx-27017 lists indexes without their partial filter (it builds full ones).
            assert!(
                definition.contains("deleted_at"),
                "unique among live accounts: {definition}"
            );
        }

        let plan = schema
            .explain(ExplainTarget::UserByEmail {
                email: "ada@dojo.test".into(),
            })
            .await
            .expect("a plan");
        assert_eq!(plan.backend, backend.storage.backend);
        assert!(
            plan.query.contains("email") && !plan.plan.is_empty(),
            "{plan:?}"
        );
        if !backend.nx_27017 {
            // nx-27017 answers `explain` with SQLite's plan lines instead of plan stages.
            assert!(
                plan.uses_index,
                "the email lookup reads the unique index: {plan:?}"
            );
        }
        for target in [
            ExplainTarget::PostsByAuthor { author_id: 2 },
            ExplainTarget::PostsPageByOffset { offset: 40 },
            ExplainTarget::PostsPageAfter {
                created_at: EPOCH + 10 * MINUTE,
                id: 11,
            },
            ExplainTarget::SearchPosts {
                text: "keyset pagination".into(),
            },
            ExplainTarget::CommentTree { post_id: 1 },
            ExplainTarget::UnreadNotifications { user_id: 1 },
        ] {
            let plan = schema.explain(target.clone()).await.expect("a plan");
            assert!(
                !plan.plan.is_empty() && !plan.query.is_empty(),
                "{target:?}: {plan:?}"
            );
        }
        let empty = schema
            .explain(ExplainTarget::SearchPosts { text: " * ".into() })
            .await;
        assert!(is_invalid(&refused(empty), "text"));
    }

    // ------------------------------------------------------- the large data set (10)

    async fn timed<T>(work: impl std::future::Future<Output = T>) -> (T, Duration) {
        let started = Instant::now();
        let value = work.await;
        (value, started.elapsed())
    }

    pub(super) async fn the_large_data_set_seeds_and_pages_deep(backend: &Backend) {
        const PAGE: u32 = 20;
        let posts = &backend.storage.posts;
        let all = PostFilter::default();
        let newest = PostSort::default();

        let (seeded, seed_time) = timed(backend.storage.reset_all(HASH, seed::POST_COUNT)).await;
        seeded.expect("the large data set loads");
        assert_eq!(
            posts.count(all.clone()).await.expect("counted"),
            seed::POST_COUNT
        );

        let (first_offset, first_offset_time) =
            timed(posts.page_by_offset(all.clone(), newest, 0, PAGE)).await;
        let (first_keyset, first_keyset_time) =
            timed(posts.page_after(all.clone(), newest, None, PAGE)).await;
        let first_offset = first_offset.expect("page 1");
        assert_eq!(first_offset.items, first_keyset.expect("page 1").items);
        assert_eq!(
            first_offset.items[0],
            seeded_post(seed::POST_COUNT - 1),
            "newest first"
        );

        // Page 5000 of 20, by offset, and by keyset from the row ending page 4999.
        let deep_offset = 4999 * u64::from(PAGE);
        let before = posts
            .page_by_offset(all.clone(), newest, deep_offset - 1, 1)
            .await
            .expect("the row before page 5000");
        let last = &before.items[0];
        let cursor = Cursor {
            sort: newest,
            value: SortValue::Int(last.created_at),
            id: last.id,
        };
        let (deep_by_offset, deep_offset_time) =
            timed(posts.page_by_offset(all.clone(), newest, deep_offset, PAGE)).await;
        let (deep_by_keyset, deep_keyset_time) =
            timed(posts.page_after(all.clone(), newest, Some(cursor), PAGE)).await;
        let deep_by_offset = deep_by_offset.expect("page 5000");
        let deep_by_keyset = deep_by_keyset.expect("page 5000");
        assert_eq!(deep_by_offset.items, deep_by_keyset.items);
        assert_eq!(
            ids(&deep_by_offset.items, |p| p.id),
            (1..=20).rev().collect::<Vec<_>>()
        );
        assert!(deep_by_keyset.next.is_none(), "page 5000 is the last");

        eprintln!(
            "[{}] seed {} posts: {seed_time:.2?}; page 1 offset {first_offset_time:.2?} keyset \
             {first_keyset_time:.2?}; page 5000 offset {deep_offset_time:.2?} keyset \
             {deep_keyset_time:.2?}",
            backend.name(),
            seed::POST_COUNT
        );
    }
}

/// The MongoDB side of the schema (topic 9): the indexes the server holds are the ones the
/// schema panel shows ([`dojo_storage::mongo::index_catalogue`]), on fields the stored
/// documents really have.
mod mongodb_indexes {
    use dojo_storage::mongo::index_catalogue;
    use dojo_storage::seed::{self, EPOCH};
    use mongodb::bson::{Bson, Document, doc};
    use mongodb::options::{Hint, IndexOptions};
    use mongodb::{Collection, IndexModel};
    use serde_json::Value;

    use super::HASH;
    use super::support::{self, Backend};

    /// The index of `name` on `collection`, as the catalogue shows it.
    fn catalogued(collection: &str, name: &str) -> Value {
        index_catalogue()
            .into_iter()
            .find(|(shown, _)| *shown == collection)
            .and_then(|(_, indexes)| {
                indexes
                    .as_array()
                    .into_iter()
                    .flatten()
                    .find(|index| index["name"] == name)
                    .cloned()
            })
            .unwrap_or_else(|| panic!("{collection}.{name} is catalogued"))
    }

    fn key_fields(key: &Value) -> Vec<String> {
        key.as_object()
            .expect("a key document")
            .keys()
            .cloned()
            .collect()
    }

    /// An index the server lists, in the catalogue's JSON shape.
    fn as_shown(model: &IndexModel) -> Value {
        let options = model.options.clone().unwrap_or_default();
        let mut shown = serde_json::Map::new();
        shown.insert("name".into(), options.name.clone().into());
        shown.insert("key".into(), json(model.keys.clone()));
        if options.unique == Some(true) {
            shown.insert("unique".into(), true.into());
        }
        if let Some(filter) = options.partial_filter_expression {
            shown.insert("partialFilterExpression".into(), json(filter));
        }
        Value::Object(shown)
    }

    fn json(document: Document) -> Value {
        Bson::Document(document).into_relaxed_extjson()
    }

    /// Every index the server lists for `collection` but MongoDB's own `_id_`.
    async fn listed(collection: &Collection<Document>) -> Vec<IndexModel> {
        let mut cursor = collection.list_indexes().await.expect("indexes listed");
        let mut models = Vec::new();
        while cursor.advance().await.expect("the listing reads") {
            let model = cursor.deserialize_current().expect("an index");
            let name = model.options.as_ref().and_then(|o| o.name.as_deref());
            if name != Some("_id_") {
                models.push(model);
            }
        }
        models
    }

    /// The ids of the users the trash index's own filter finds, read through that index.
    async fn in_the_trash(backend: &Backend) -> Vec<i64> {
        let trash = catalogued("users", "users_trash");
        let filter = mongodb::bson::to_document(&trash["partialFilterExpression"])
            .expect("the filter is a document");
        let users = backend
            .database
            .as_ref()
            .expect("a MongoDB database")
            .collection::<Document>("users");
        // Real MongoDB reads only the documents the partial index holds when hinted to it
        // (nx-27017 ignores hints, and the filter is then matched against every document).
        let mut cursor = users
            .find(filter)
            .hint(Hint::Name("users_trash".into()))
            .sort(doc! { "deleted_at": 1 })
            .await
            .expect("the trash query runs");
        let mut ids = Vec::new();
        while cursor.advance().await.expect("the cursor reads") {
            let user = cursor.deserialize_current().expect("a user");
            // Stored as a 64-bit integer; nx-27017 hands small ones back as 32-bit.
            let id = match user.get("id") {
                Some(Bson::Int64(id)) => *id,
                Some(Bson::Int32(id)) => i64::from(*id),
                other => panic!("an integer id, not {other:?}"),
            };
            ids.push(id);
        }
        ids
    }

    #[tokio::test]
    async fn the_server_holds_the_catalogued_indexes_on_stored_fields() {
        let Some(backend) = support::mongo("catalogued_indexes").await else {
            return;
        };
        backend.storage.reset_all(HASH, 20).await.expect("seeded");
        let database = backend.database.as_ref().expect("a MongoDB database");
        for (name, shown) in index_catalogue() {
            let collection = database.collection::<Document>(name);
            let catalogued = shown.as_array().expect("a list of indexes");
            let listed = listed(&collection).await;
            if backend.nx_27017 {
                // nx-27017 keeps only the fields of an index: it names each one
                // `idx_<collection>_<fields>`, lists every direction as 1, leaves partial
                // filters out and does not list an index on `id` alone. The fields, in
                // order, are what can be compared there.
                let mut expected: Vec<Vec<String>> = catalogued
                    .iter()
                    .map(|index| key_fields(&index["key"]))
                    .filter(|fields| fields != &["id"])
                    .collect();
                let mut found: Vec<Vec<String>> = listed
                    .iter()
                    .map(|m| m.keys.keys().cloned().collect())
                    .collect();
                expected.sort();
                found.sort();
                assert_eq!(found, expected, "{name}: the fields of each index");
            } else {
                let mut expected = catalogued.clone();
                let mut found: Vec<Value> = listed.iter().map(as_shown).collect();
                expected.sort_by_key(|index| index["name"].to_string());
                found.sort_by_key(|index| index["name"].to_string());
                assert_eq!(found, expected, "{name}: names, keys and options");
            }
            let stored = collection
                .find_one(doc! {})
                .await
                .expect("a read")
                .unwrap_or_else(|| panic!("{name} is seeded"));
            for index in catalogued {
                for field in key_fields(&index["key"]) {
                    assert!(
                        stored.contains_key(&field),
                        "{name}.{} indexes {field}, which documents have: {stored}",
                        index["name"]
                    );
                }
            }
        }
    }

    #[tokio::test]
    async fn a_soft_deleted_user_is_in_the_trash_index() {
        let Some(backend) = support::mongo("trash_index").await else {
            return;
        };
        let users = &backend.storage.users;
        users.reset(seed::users(HASH)).await.expect("seeded");
        assert_eq!(in_the_trash(&backend).await, Vec::<i64>::new());
        users.soft_delete(4, EPOCH + 40_000).await.expect("deleted");
        users.soft_delete(2, EPOCH + 50_000).await.expect("deleted");
        assert_eq!(in_the_trash(&backend).await, [4, 2]);
        users.restore(4, EPOCH + 60_000).await.expect("restored");
        assert_eq!(in_the_trash(&backend).await, [2]);
    }

    #[tokio::test]
    async fn a_database_with_the_retired_trash_index_opens_and_loses_it() {
        let Some((database, nx_27017)) = support::empty_mongo_database("retired_index").await
        else {
            return;
        };
        // What the first version created: the same name and key, another filter.
        let collection = database.collection::<Document>("users");
        let retired = IndexModel::builder()
            .keys(doc! { "deleted_at": 1 })
            .options(
                IndexOptions::builder()
                    .name("users_deleted_at".to_owned())
                    .partial_filter_expression(doc! { "deleted_at": { "$type": "date" } })
                    .build(),
            )
            .build();
        collection
            .create_index(retired)
            .await
            .expect("the old index");
        let storage = dojo_storage::mongo::open(database.clone())
            .await
            .expect("the store opens a database an older version made");
        let names = collection.list_index_names().await.expect("names");
        if !nx_27017 {
            // nx-27017 names indexes after their fields, so neither name is listed there.
            assert!(!names.iter().any(|n| n == "users_deleted_at"), "{names:?}");
            assert!(names.iter().any(|n| n == "users_trash"), "{names:?}");
        }
        let backend = Backend {
            storage,
            nx_27017,
            database: Some(database),
        };
        let users = &backend.storage.users;
        users.reset(seed::users(HASH)).await.expect("seeded");
        users.soft_delete(3, EPOCH + 40_000).await.expect("deleted");
        assert_eq!(in_the_trash(&backend).await, [3]);
    }
}
