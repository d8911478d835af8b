//! Paging, sorting and the typed filters for posts: the allowlisted way in. A field that is
//! not a member of [`PostFilter`] or a variant of [`PostSortField`] cannot be filtered or
//! sorted on, whatever the client sends.

use serde::{Deserialize, Serialize};

use crate::model::{Millis, UserId};

/// Ascending or descending.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    Asc,
    #[default]
    Desc,
}

/// The post fields a list may be sorted on. Every sort ends with the post id in the same
/// direction as a tie-break, so the order is total and keyset paging is exact.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PostSortField {
    /// The id alone (insertion order).
    Id,
    #[default]
    CreatedAt,
    Likes,
    /// Byte-wise (binary) order of the title, so every backend agrees.
    Title,
}

impl PostSortField {
    /// The field's name as clients write it.
    pub fn as_str(self) -> &'static str {
        match self {
            PostSortField::Id => "id",
            PostSortField::CreatedAt => "created_at",
            PostSortField::Likes => "likes",
            PostSortField::Title => "title",
        }
    }

    /// The field with this name, if posts may be sorted on it.
    pub fn parse(name: &str) -> Option<PostSortField> {
        [
            PostSortField::Id,
            PostSortField::CreatedAt,
            PostSortField::Likes,
            PostSortField::Title,
        ]
        .into_iter()
        .find(|field| field.as_str() == name)
    }
}

/// A sort: one allowlisted field and a direction (then the id, same direction).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PostSort {
    pub field: PostSortField,
    pub direction: Direction,
}

/// Conditions on posts; every one given must hold (`None` means no condition).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PostFilter {
    pub author_id: Option<UserId>,
    /// Exact tag.
    pub tag: Option<String>,
    /// `created_at >= created_from`.
    pub created_from: Option<Millis>,
    /// `created_at < created_before`.
    pub created_before: Option<Millis>,
    /// `likes >= min_likes`.
    pub min_likes: Option<i64>,
}

/// A value of a sort field, as carried by a cursor.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(untagged)]
pub enum SortValue {
    Int(i64),
    Text(String),
}

/// Where a keyset page ends: the sort it was made for and the sort key of its last row.
/// The next page holds the rows strictly after `(value, id)` in that sort's order. The
/// sandbox encodes it opaquely for clients; a store only compares it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Cursor {
    pub sort: PostSort,
    /// The last row's value of `sort.field` (`Int` for id, created_at and likes; `Text`
    /// for title).
    pub value: SortValue,
    /// The last row's id.
    pub id: u64,
}

/// One page by offset, with the total count of matching rows (ignoring offset and limit).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OffsetPage<T> {
    pub items: Vec<T>,
    pub total: u64,
}

/// One page by keyset. `next` is `Some` exactly when more rows follow the last item (stores
/// fetch one row more than `limit` to know); it is the cursor of the last item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeysetPage<T> {
    pub items: Vec<T>,
    pub next: Option<Cursor>,
}

/// A full-text search over posts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchQuery {
    /// The words to find. Split on anything that is not a letter or digit; a post matches
    /// when every word occurs in its title or body as a whole word, ignoring case. Query
    /// syntax of the engine (`OR`, `*`, quotes, `$`) has no effect: words are only words.
    pub text: String,
    /// Further conditions, as for lists.
    pub filter: PostFilter,
    pub limit: u32,
}

/// One search result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchHit {
    pub post: crate::model::Post,
    /// Relevance, higher is better. Only comparable within one answer of one backend
    /// (SQLite: negated bm25; MongoDB: text score, or 0 when matched by regex).
    pub score: f64,
}

/// The words of a search text, as every backend must read it: maximal runs of letters and
/// digits, lowercased, at most [`MAX_SEARCH_WORDS`] of them, duplicates removed (first
/// occurrence kept).
pub fn search_words(text: &str) -> Vec<String> {
    let mut words: Vec<String> = Vec::new();
    for word in text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        let word = word.to_lowercase();
        if !words.contains(&word) {
            words.push(word);
        }
        if words.len() == MAX_SEARCH_WORDS {
            break;
        }
    }
    words
}

/// More words than this in a search are ignored.
pub const MAX_SEARCH_WORDS: usize = 8;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_words_drop_engine_syntax_and_duplicates() {
        assert_eq!(
            search_words(r#"Rust OR "rust" NEAR(x*) $where"#),
            ["rust", "or", "near", "x", "where"]
        );
        assert!(search_words(" *** ").is_empty());
        assert_eq!(search_words("a b c d e f g h i j").len(), MAX_SEARCH_WORDS);
    }
}
