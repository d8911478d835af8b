//! Backend Dojo's desktop shell: one window, a sandbox started at launch, and thin
//! commands into `dojo_app`.

#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

use dojo_app::console::{ConsoleRequest, ConsoleResponse};
use dojo_app::sandbox::{self, SandboxInfo, SandboxOptions};
use dojo_app::traffic::{TraceView, TrafficEntry};
use dojo_app::{
    CardView, DashboardView, DrillInfo, DrillRun, Dojo, NewCard, NoteView, Problem, ProgressView,
    ReviewGrade, ReviewQueue, SearchResult, TopicIndex, TopicState, TopicView,
};
use tauri::{Emitter as _, Manager as _, State};

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

#[tauri::command]
fn sandbox_info(dojo: State<'_, Dojo>) -> SandboxInfo {
    dojo.sandbox_info()
}

#[tauri::command]
async fn send_request(dojo: State<'_, Dojo>, request: ConsoleRequest) -> Result<ConsoleResponse, Problem> {
    dojo.send_request(&request).await.map_err(|error| error.problem())
}

#[tauri::command]
fn trace(dojo: State<'_, Dojo>, id: String) -> Result<TraceView, Problem> {
    dojo.trace(&id).map_err(|error| error.problem())
}

#[tauri::command]
fn traffic(dojo: State<'_, Dojo>) -> Vec<TrafficEntry> {
    dojo.traffic()
}

#[tauri::command]
fn drills(dojo: State<'_, Dojo>, key: String) -> Result<Vec<DrillInfo>, Problem> {
    dojo.drills(&key).map_err(|error| error.problem())
}

#[tauri::command]
async fn run_drills(dojo: State<'_, Dojo>, key: String) -> Result<DrillRun, Problem> {
    dojo.run_topic_drills(&key).await.map_err(|error| error.problem())
}

#[tauri::command]
fn dashboard(dojo: State<'_, Dojo>) -> Result<DashboardView, Problem> {
    dojo.dashboard().map_err(|error| error.problem())
}

#[tauri::command]
fn topic_opened(dojo: State<'_, Dojo>, key: String) -> Result<ProgressView, Problem> {
    dojo.topic_opened(&key).map_err(|error| error.problem())
}

#[tauri::command]
fn set_topic_state(dojo: State<'_, Dojo>, key: String, state: TopicState) -> Result<ProgressView, Problem> {
    dojo.set_topic_state(&key, state).map_err(|error| error.problem())
}

#[tauri::command]
fn note(dojo: State<'_, Dojo>, key: String) -> Result<NoteView, Problem> {
    dojo.note(&key).map_err(|error| error.problem())
}

#[tauri::command]
fn save_note(dojo: State<'_, Dojo>, key: String, markdown: String) -> Result<NoteView, Problem> {
    dojo.save_note(&key, &markdown).map_err(|error| error.problem())
}

#[tauri::command]
fn search(dojo: State<'_, Dojo>, query: String) -> Result<Vec<SearchResult>, Problem> {
    dojo.search(&query).map_err(|error| error.problem())
}

#[tauri::command]
fn review_queue(dojo: State<'_, Dojo>) -> Result<ReviewQueue, Problem> {
    dojo.review_queue().map_err(|error| error.problem())
}

#[tauri::command]
fn review_card(dojo: State<'_, Dojo>, card_id: i64, grade: ReviewGrade) -> Result<ReviewQueue, Problem> {
    dojo.review(card_id, grade).map_err(|error| error.problem())
}

#[tauri::command]
fn add_card(dojo: State<'_, Dojo>, key: String, card: NewCard) -> Result<CardView, Problem> {
    dojo.add_card(&key, &card).map_err(|error| error.problem())
}

fn main() {
    let dojo = match Dojo::load_with_default_study() {
        Ok(dojo) => dojo,
        Err(error) => {
            eprintln!("backend dojo: {error}");
            std::process::exit(1);
        }
    };
    let result = tauri::Builder::default()
        .manage(dojo)
        .setup(|app| {
            let dojo = app.state::<Dojo>().inner().clone();
            let running = tauri::async_runtime::block_on(sandbox::start(SandboxOptions::default()))?;
            dojo.attach_sandbox(&running);
            app.manage(running);
            // Every sandbox request reaches the traffic view as a `traffic` event.
            if let Some(mut feed) = dojo.traffic_feed() {
                let handle = app.handle().clone();
                tauri::async_runtime::spawn(async move {
                    use tokio_stream::StreamExt as _;
                    while let Some(entry) = feed.next().await {
                        let _ = handle.emit("traffic", entry);
                    }
                });
            }
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            topic_index,
            topic,
            syntax_css,
            sandbox_info,
            send_request,
            trace,
            traffic,
            drills,
            run_drills,
            dashboard,
            topic_opened,
            set_topic_state,
            note,
            save_note,
            search,
            review_queue,
            review_card,
            add_card
        ])
        .run(tauri::generate_context!());
    if let Err(error) = result {
        eprintln!("backend dojo: the window could not start: {error}");
        std::process::exit(1);
    }
}
