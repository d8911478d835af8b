//! Backend Dojo's desktop shell: one window and thin commands into `dojo_app`.

#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

use dojo_app::{Dojo, Problem, TopicIndex, TopicView};
use tauri::State;

#[tauri::command]
fn topic_index(dojo: State<'_, Dojo>) -> TopicIndex {
    dojo.topic_index()
}

#[tauri::command]
fn topic(dojo: State<'_, Dojo>, key: String) -> Result<TopicView, Problem> {
    dojo.topic(&key).map_err(|error| error.problem())
}

#[tauri::command]
fn syntax_css(dojo: State<'_, Dojo>) -> &'static str {
    dojo.syntax_css()
}

fn main() {
    let dojo = match Dojo::load() {
        Ok(dojo) => dojo,
        Err(error) => {
            eprintln!("backend dojo: {error}");
            std::process::exit(1);
        }
    };
    let result = tauri::Builder::default()
        .manage(dojo)
        .invoke_handler(tauri::generate_handler![topic_index, topic, syntax_css])
        .run(tauri::generate_context!());
    if let Err(error) = result {
        eprintln!("backend dojo: the window could not start: {error}");
        std::process::exit(1);
    }
}
