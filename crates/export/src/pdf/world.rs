//! The small world Typst compiles in: one template, one JSON data file, the fonts compiled
//! into the binary, and a fixed date. Nothing is read from disk or the network.

use std::sync::LazyLock;

use typst::diag::{FileError, FileResult};
use typst::foundations::{Bytes, Datetime, Duration};
use typst::syntax::{FileId, RootedPath, Source, VirtualPath, VirtualRoot};
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;
use typst::{Library, LibraryExt, World};

use crate::{Error, Result};

/// The Typst program that lays out every kind of PDF; it reads `data.json`.
const TEMPLATE: &str = include_str!("template.typ");

/// Where the template finds the data.
const DATA_PATH: &str = "/data.json";
const MAIN_PATH: &str = "/main.typ";

/// DejaVu Sans for text; DejaVu Sans Mono for code comes with `typst-assets`.
const BUNDLED_FONTS: [&[u8]; 3] = [
    include_bytes!("../../fonts/DejaVuSans.ttf"),
    include_bytes!("../../fonts/DejaVuSans-Bold.ttf"),
    include_bytes!("../../fonts/DejaVuSans-Oblique.ttf"),
];

static FONTS: LazyLock<Vec<Font>> = LazyLock::new(|| {
    BUNDLED_FONTS
        .into_iter()
        .chain(typst_assets::fonts())
        .flat_map(|data| Font::iter(Bytes::new(data)))
        .collect()
});

static BOOK: LazyLock<LazyHash<FontBook>> =
    LazyLock::new(|| LazyHash::new(FontBook::from_fonts(FONTS.iter())));

static LIBRARY: LazyLock<LazyHash<Library>> =
    LazyLock::new(|| LazyHash::new(<Library as LibraryExt>::default()));

/// A world holding the template and one document's data.
pub(super) struct ExportWorld {
    main: Source,
    data_id: FileId,
    data: Bytes,
    today: Datetime,
}

impl ExportWorld {
    /// `data` is the JSON the template reads; `today` is what `datetime.today()` returns.
    pub(super) fn new(data: Vec<u8>, today: Datetime) -> Result<ExportWorld> {
        let main_id = file_id(MAIN_PATH)?;
        Ok(ExportWorld {
            main: Source::new(main_id, TEMPLATE.to_owned()),
            data_id: file_id(DATA_PATH)?,
            data: Bytes::new(data),
            today,
        })
    }
}

fn file_id(path: &str) -> Result<FileId> {
    let vpath = VirtualPath::new(path)
        .map_err(|error| Error::Typeset(format!("bad virtual path {path}: {error:?}")))?;
    Ok(RootedPath::new(VirtualRoot::Project, vpath).intern())
}

impl World for ExportWorld {
    fn library(&self) -> &LazyHash<Library> {
        &LIBRARY
    }

    fn book(&self) -> &LazyHash<FontBook> {
        &BOOK
    }

    fn main(&self) -> FileId {
        self.main.id()
    }

    fn source(&self, id: FileId) -> FileResult<Source> {
        if id == self.main.id() {
            Ok(self.main.clone())
        } else {
            Err(not_found(id))
        }
    }

    fn file(&self, id: FileId) -> FileResult<Bytes> {
        if id == self.data_id {
            Ok(self.data.clone())
        } else if id == self.main.id() {
            Ok(Bytes::from_string(self.main.clone()))
        } else {
            Err(not_found(id))
        }
    }

    fn font(&self, index: usize) -> Option<Font> {
        FONTS.get(index).cloned()
    }

    fn today(&self, _offset: Option<Duration>) -> Option<Datetime> {
        Some(self.today)
    }
}

fn not_found(id: FileId) -> FileError {
    FileError::NotFound(id.vpath().get_without_slash().into())
}

impl std::fmt::Debug for ExportWorld {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExportWorld")
            .field("data_bytes", &self.data.len())
            .finish()
    }
}
