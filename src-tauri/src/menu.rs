//! The main window's native menus with the usual shortcuts: File (Export…, Settings, Quit),
//! View (toggle theme, command palette) and Help (About). Each item but Quit and About is
//! passed to the UI as a `menu` event naming it; the UI does what its own shortcut does.

use tauri::menu::{
    AboutMetadataBuilder, Menu, MenuBuilder, MenuItem, PredefinedMenuItem, SubmenuBuilder,
};
use tauri::{AppHandle, Emitter as _, Runtime};

/// The menu event the UI listens for; its payload is one of the ids below.
pub(crate) const MENU_EVENT: &str = "menu";
/// The Quit item's id: the shell handles it (saving the window first).
pub(crate) const QUIT: &str = "quit";

/// The items the UI acts on: id, label, shortcut.
const UI_ITEMS: [(&str, &str, &str); 4] = [
    ("export", "Export…", "CmdOrCtrl+E"),
    ("settings", "Settings", "CmdOrCtrl+,"),
    ("toggle-theme", "Toggle Theme", "CmdOrCtrl+Shift+L"),
    ("command-palette", "Command Palette…", "CmdOrCtrl+K"),
];

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
    let file = SubmenuBuilder::new(app, "File")
        .item(&item("export")?)
        .item(&item("settings")?)
        .separator()
        .item(&MenuItem::with_id(
            app,
            QUIT,
            "Quit",
            true,
            Some("CmdOrCtrl+Q"),
        )?)
        .build()?;
    let view = SubmenuBuilder::new(app, "View")
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
        .build();
    let help = SubmenuBuilder::new(app, "Help")
        .item(&PredefinedMenuItem::about(
            app,
            Some("About Backend Dojo"),
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
