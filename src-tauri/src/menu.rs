//! The main window's native menus with the usual shortcuts: File (Export…, Settings, Quit),
//! View (toggle theme, command palette) and Help (About). Each item but Quit and About is
//! passed to the UI as a `menu` event naming it; the UI does what its own shortcut does.
//!
//! Every menu and item has an access key (the letter after `&`): on Linux and Windows,
//! Alt+F opens File, then E picks Export…, without the mouse.

use tauri::menu::{
    AboutMetadataBuilder, Menu, MenuBuilder, MenuItem, PredefinedMenuItem, SubmenuBuilder,
};
use tauri::{AppHandle, Emitter as _, Runtime};

/// The menu event the UI listens for; its payload is one of the ids below.
pub(crate) const MENU_EVENT: &str = "menu";
/// The Quit item's id: the shell handles it (saving the window first).
pub(crate) const QUIT: &str = "quit";

/// The items the UI acts on: id, label (with its access key), shortcut.
const UI_ITEMS: [(&str, &str, &str); 4] = [
    ("export", "&Export…", "CmdOrCtrl+E"),
    ("settings", "&Settings", "CmdOrCtrl+,"),
    ("toggle-theme", "Toggle &Theme", "CmdOrCtrl+Shift+L"),
    ("command-palette", "Command &Palette…", "CmdOrCtrl+K"),
];

/// The menu bar's titles with their access keys.
const FILE_TITLE: &str = "&File";
const VIEW_TITLE: &str = "&View";
const HELP_TITLE: &str = "&Help";
/// The labels of the items the shell itself handles.
const QUIT_LABEL: &str = "&Quit";
const ABOUT_LABEL: &str = "&About Backend Dojo";

/// Builds the menu bar.
pub(crate) fn build<R: Runtime>(app: &AppHandle<R>) -> tauri::Result<Menu<R>> {
    let item = |id: &str| -> tauri::Result<MenuItem<R>> {
        let (_, label, shortcut) = UI_ITEMS
            .iter()
            .find(|(item, _, _)| *item == id)
            .copied()
            .unwrap_or((id, id, ""));
        MenuItem::with_id(app, id, label, true, Some(shortcut))
    };
    let file = SubmenuBuilder::new(app, FILE_TITLE)
        .item(&item("export")?)
        .item(&item("settings")?)
        .separator()
        .item(&MenuItem::with_id(
            app,
            QUIT,
            QUIT_LABEL,
            true,
            Some("CmdOrCtrl+Q"),
        )?)
        .build()?;
    let view = SubmenuBuilder::new(app, VIEW_TITLE)
        .item(&item("toggle-theme")?)
        .item(&item("command-palette")?)
        .build()?;
    let about = AboutMetadataBuilder::new()
        .name(Some("Backend Dojo"))
        .version(Some(env!("CARGO_PKG_VERSION")))
        .comments(Some(
            "Backend interview practice with a live sandbox: 33 topics, drills, flashcards \
             and mock interviews, all offline.",
        ))
        .license(Some(env!("CARGO_PKG_LICENSE")))
        // Without it the About box shows a broken-image placeholder.
        .icon(app.default_window_icon().cloned())
        .build();
    let help = SubmenuBuilder::new(app, HELP_TITLE)
        .item(&PredefinedMenuItem::about(
            app,
            Some(ABOUT_LABEL),
            Some(about),
        )?)
        .build()?;
    MenuBuilder::new(app).items(&[&file, &view, &help]).build()
}

/// Passes a menu choice the UI handles to the main window; `false` for ids it does not own.
pub(crate) fn forward<R: Runtime>(app: &AppHandle<R>, window: &str, id: &str) -> bool {
    if !UI_ITEMS.iter().any(|(item, _, _)| *item == id) {
        return false;
    }
    if let Err(error) = app.emit_to(window, MENU_EVENT, id) {
        eprintln!("backend dojo: the menu choice {id:?} did not reach the window: {error}");
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The access key of a label: the letter after a single `&`.
    fn access_key(label: &str) -> Option<char> {
        let mut chars = label.chars();
        while let Some(character) = chars.next() {
            if character == '&' {
                return chars.next().map(|key| key.to_ascii_lowercase());
            }
        }
        None
    }

    fn label_of(id: &str) -> &'static str {
        UI_ITEMS
            .iter()
            .find(|(item, _, _)| *item == id)
            .map(|(_, label, _)| *label)
            .expect("the id is one of the UI items")
    }

    /// Within one menu (and along the menu bar) no two entries may share an access key,
    /// or Alt+letter would pick the wrong one.
    #[test]
    fn every_entry_has_its_own_access_key_within_its_menu() {
        let menus: [Vec<&str>; 4] = [
            vec![FILE_TITLE, VIEW_TITLE, HELP_TITLE],
            vec![label_of("export"), label_of("settings"), QUIT_LABEL],
            vec![label_of("toggle-theme"), label_of("command-palette")],
            vec![ABOUT_LABEL],
        ];
        for labels in menus {
            let mut keys: Vec<char> = labels
                .iter()
                .map(|label| access_key(label).unwrap_or_else(|| panic!("{label:?} has no key")))
                .collect();
            keys.sort_unstable();
            let before = keys.len();
            keys.dedup();
            assert_eq!(keys.len(), before, "access keys clash in {labels:?}");
        }
    }

    #[test]
    fn every_ui_item_has_a_distinct_shortcut() {
        let mut shortcuts: Vec<&str> = UI_ITEMS.iter().map(|(_, _, keys)| *keys).collect();
        shortcuts.push("CmdOrCtrl+Q");
        let before = shortcuts.len();
        shortcuts.sort_unstable();
        shortcuts.dedup();
        assert_eq!(shortcuts.len(), before, "two menu items share a shortcut");
    }
}
