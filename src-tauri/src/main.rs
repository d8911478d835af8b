//! Backend Dojo's desktop shell: the main window (its size, position and screen kept
//! across launches, native menus, `dojo://` links on the command line), a sandbox started
//! at launch and owned by the app, thin commands into `dojo_app`, and the candidate's
//! window of a mock interview.

#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod google_window;
mod menu;
mod window_state;

use std::path::PathBuf;
use std::sync::Arc;

use dojo_app::console::{ConsoleRequest, ConsoleResponse};
use dojo_app::sandbox::SandboxInfo;
use dojo_app::traffic::{TraceView, TrafficEntry};
use dojo_app::{
    CandidateView, CardView, DashboardView, Dojo, DrillInfo, DrillRun, InterviewListItem,
    InterviewOptions, InterviewSetup, InterviewSummary, MentorScreen, NewCard, NoteView, Problem,
    ProgressView, ReviewGrade, ReviewQueue, ScoreInput, SearchResult, StoryFields, StoryIssue,
    StoryView, TopicIndex, TopicState, TopicView,
};
use dojo_app::{
    ConnectionTest, ConnectionTestRequest, SandboxSettings, SandboxSettingsInput,
    SandboxSettingsSaved,
};
use dojo_app::{
    DailyPlan, Error as AppError, ExportJob, ExportRequest, Profile, ProfileChoices, ResetRequest,
    RestoreSummary, StudyInfo,
};
use tauri::{
    AppHandle, Emitter as _, Manager as _, State, WebviewUrl, WebviewWindowBuilder, WindowEvent,
};

use window_state::WindowMemory;

/// The label of the candidate's window; `capabilities/candidate.json` grants it one command.
const CANDIDATE_WINDOW: &str = "candidate";
/// The label of the main window, configured in `tauri.conf.json` and created at launch.
const MAIN_WINDOW: &str = "main";

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
async fn start_sandbox(dojo: State<'_, Dojo>) -> Result<SandboxInfo, Problem> {
    dojo.start_sandbox().await.map_err(|error| error.problem())
}

#[tauri::command]
async fn stop_sandbox(dojo: State<'_, Dojo>) -> Result<SandboxInfo, Problem> {
    dojo.stop_sandbox().await.map_err(|error| error.problem())
}

#[tauri::command]
async fn restart_sandbox(dojo: State<'_, Dojo>) -> Result<SandboxInfo, Problem> {
    dojo.restart_sandbox()
        .await
        .map_err(|error| error.problem())
}

#[tauri::command]
async fn send_request(
    dojo: State<'_, Dojo>,
    request: ConsoleRequest,
) -> Result<ConsoleResponse, Problem> {
    dojo.send_request(&request)
        .await
        .map_err(|error| error.problem())
}

/// The Upload panel's door to the sandbox: the raw IPC body is the finished
/// `multipart/form-data` form; the sandbox path and the form's type come in the
/// `X-Sandbox-Path` and `X-Upload-Content-Type` headers (the IPC sets its own Content-Type).
#[tauri::command]
async fn upload_to_sandbox(
    dojo: State<'_, Dojo>,
    request: tauri::ipc::Request<'_>,
) -> Result<ConsoleResponse, Problem> {
    let header = |name: &str| {
        request
            .headers()
            .get(name)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned)
    };
    let (path, content_type) = (header("x-sandbox-path"), header("x-upload-content-type"));
    let tauri::ipc::InvokeBody::Raw(body) = request.body() else {
        return Err(Problem::new(
            400,
            "Upload not read",
            "send the form as raw bytes",
        ));
    };
    dojo.upload_to_sandbox(
        &path.unwrap_or_default(),
        content_type.as_deref(),
        body.clone(),
    )
    .await
    .map_err(|error| error.problem())
}

/// One object of the sandbox's store, through its presigned path: its bytes as a raw IPC
/// answer, or the store's refusal as a problem.
#[tauri::command]
async fn fetch_sandbox_object(
    dojo: State<'_, Dojo>,
    path: String,
) -> Result<tauri::ipc::Response, Problem> {
    let object = dojo
        .fetch_sandbox_object(&path)
        .await
        .map_err(|error| error.problem())?;
    object.into_bytes().map(tauri::ipc::Response::new)
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
    dojo.run_topic_drills(&key)
        .await
        .map_err(|error| error.problem())
}

#[tauri::command]
fn dashboard(dojo: State<'_, Dojo>) -> Result<DashboardView, Problem> {
    dojo.dashboard().map_err(|error| error.problem())
}

#[tauri::command]
fn topic_opened(
    dojo: State<'_, Dojo>,
    window: State<'_, Arc<WindowMemory>>,
    key: String,
) -> Result<ProgressView, Problem> {
    window.topic_opened(&key);
    dojo.topic_opened(&key).map_err(|error| error.problem())
}

#[tauri::command]
fn set_topic_state(
    dojo: State<'_, Dojo>,
    key: String,
    state: TopicState,
) -> Result<ProgressView, Problem> {
    dojo.set_topic_state(&key, state)
        .map_err(|error| error.problem())
}

#[tauri::command]
fn note(dojo: State<'_, Dojo>, key: String) -> Result<NoteView, Problem> {
    dojo.note(&key).map_err(|error| error.problem())
}

#[tauri::command]
fn save_note(dojo: State<'_, Dojo>, key: String, markdown: String) -> Result<NoteView, Problem> {
    dojo.save_note(&key, &markdown)
        .map_err(|error| error.problem())
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
fn review_card(
    dojo: State<'_, Dojo>,
    card_id: i64,
    grade: ReviewGrade,
) -> Result<ReviewQueue, Problem> {
    dojo.review(card_id, grade).map_err(|error| error.problem())
}

#[tauri::command]
fn add_card(dojo: State<'_, Dojo>, key: String, card: NewCard) -> Result<CardView, Problem> {
    dojo.add_card(&key, &card).map_err(|error| error.problem())
}

#[tauri::command]
fn interview_options(dojo: State<'_, Dojo>) -> InterviewOptions {
    dojo.interview_options()
}

#[tauri::command]
fn list_interviews(dojo: State<'_, Dojo>) -> Result<Vec<InterviewListItem>, Problem> {
    dojo.list_interviews().map_err(|error| error.problem())
}

#[tauri::command]
fn create_interview(dojo: State<'_, Dojo>, setup: InterviewSetup) -> Result<MentorScreen, Problem> {
    dojo.create_interview(&setup)
        .map_err(|error| error.problem())
}

#[tauri::command]
fn mentor_view(dojo: State<'_, Dojo>, interview_id: i64) -> Result<MentorScreen, Problem> {
    dojo.mentor_view(interview_id)
        .map_err(|error| error.problem())
}

#[tauri::command]
fn candidate_view(dojo: State<'_, Dojo>, interview_id: i64) -> Result<CandidateView, Problem> {
    dojo.candidate_view(interview_id)
        .map_err(|error| error.problem())
}

#[tauri::command]
fn start_interview(dojo: State<'_, Dojo>, interview_id: i64) -> Result<MentorScreen, Problem> {
    dojo.start_interview(interview_id)
        .map_err(|error| error.problem())
}

#[tauri::command]
fn advance_interview(dojo: State<'_, Dojo>, interview_id: i64) -> Result<MentorScreen, Problem> {
    dojo.advance_interview(interview_id)
        .map_err(|error| error.problem())
}

#[tauri::command]
fn go_to_question(
    dojo: State<'_, Dojo>,
    interview_id: i64,
    index: u32,
) -> Result<MentorScreen, Problem> {
    dojo.go_to_question(interview_id, index)
        .map_err(|error| error.problem())
}

#[tauri::command]
fn pause_interview_timer(
    dojo: State<'_, Dojo>,
    interview_id: i64,
) -> Result<MentorScreen, Problem> {
    dojo.pause_interview_timer(interview_id)
        .map_err(|error| error.problem())
}

#[tauri::command]
fn resume_interview_timer(
    dojo: State<'_, Dojo>,
    interview_id: i64,
) -> Result<MentorScreen, Problem> {
    dojo.resume_interview_timer(interview_id)
        .map_err(|error| error.problem())
}

#[tauri::command]
fn score_answer(
    dojo: State<'_, Dojo>,
    interview_id: i64,
    position: u32,
    input: ScoreInput,
) -> Result<MentorScreen, Problem> {
    dojo.score_answer(interview_id, position, input)
        .map_err(|error| error.problem())
}

#[tauri::command]
fn set_interview_note(
    dojo: State<'_, Dojo>,
    interview_id: i64,
    position: u32,
    note: String,
) -> Result<MentorScreen, Problem> {
    dojo.set_interview_note(interview_id, position, &note)
        .map_err(|error| error.problem())
}

#[tauri::command]
fn finish_interview(dojo: State<'_, Dojo>, interview_id: i64) -> Result<InterviewSummary, Problem> {
    dojo.finish_interview(interview_id)
        .map_err(|error| error.problem())
}

#[tauri::command]
fn interview_summary(
    dojo: State<'_, Dojo>,
    interview_id: i64,
) -> Result<InterviewSummary, Problem> {
    dojo.interview_summary(interview_id)
        .map_err(|error| error.problem())
}

#[tauri::command]
fn delete_interview(
    dojo: State<'_, Dojo>,
    interview_id: i64,
) -> Result<Vec<InterviewListItem>, Problem> {
    dojo.delete_interview(interview_id)
        .map_err(|error| error.problem())
}

/// Shows the candidate's view of an interview in a second window (made on first use, then
/// pointed at the interview asked for). Async: a window made from a command that runs on
/// the main thread would wait on itself.
#[tauri::command]
async fn open_candidate_window(
    app: AppHandle,
    dojo: State<'_, Dojo>,
    interview_id: i64,
) -> Result<(), Problem> {
    // An unknown interview is refused here, not shown as an error in the new window.
    dojo.candidate_view(interview_id)
        .map_err(|error| error.problem())?;
    let route = format!("index.html#/interview/{interview_id}/candidate");
    let failed = |error: tauri::Error| {
        Problem::new(
            500,
            "The candidate window could not open",
            &error.to_string(),
        )
    };
    if let Some(window) = app.get_webview_window(CANDIDATE_WINDOW) {
        let mut url = window.url().map_err(failed)?;
        url.set_fragment(Some(&format!("/interview/{interview_id}/candidate")));
        window.navigate(url).map_err(failed)?;
        window.unminimize().map_err(failed)?;
        window.show().map_err(failed)?;
        window.set_focus().map_err(failed)?;
        return Ok(());
    }
    WebviewWindowBuilder::new(&app, CANDIDATE_WINDOW, WebviewUrl::App(route.into()))
        .title("Backend Dojo · Candidate")
        .inner_size(960.0, 640.0)
        .min_inner_size(480.0, 320.0)
        .build()
        .map_err(failed)?;
    Ok(())
}

/// Opens topic 7's "Sign in with Google" in a window of its own, started with the main
/// window's challenge; the main window hears `google-sign-in` when that window is done.
/// Async for the same reason as the candidate window.
#[tauri::command]
async fn open_google_sign_in(
    app: AppHandle,
    dojo: State<'_, Dojo>,
    challenge: String,
) -> Result<(), Problem> {
    let Some(base_url) = dojo.sandbox_info().base_url else {
        return Err(Problem::new(
            503,
            "The sandbox is not running",
            "start it from the status bar, then sign in again",
        ));
    };
    google_window::open(&app, &base_url, &challenge, MAIN_WINDOW)
}

#[tauri::command]
fn topic_stories(dojo: State<'_, Dojo>, key: String) -> Result<Vec<StoryView>, Problem> {
    dojo.topic_stories(&key).map_err(|error| error.problem())
}

#[tauri::command]
fn save_story(
    dojo: State<'_, Dojo>,
    key: String,
    story: StoryFields,
) -> Result<StoryView, Problem> {
    dojo.save_story(&key, &story)
        .map_err(|error| error.problem())
}

#[tauri::command]
fn update_story(
    dojo: State<'_, Dojo>,
    story_id: i64,
    story: StoryFields,
) -> Result<StoryView, Problem> {
    dojo.update_story(story_id, &story)
        .map_err(|error| error.problem())
}

#[tauri::command]
fn delete_story(dojo: State<'_, Dojo>, story_id: i64) -> Result<Vec<StoryView>, Problem> {
    dojo.delete_story(story_id).map_err(|error| error.problem())
}

#[tauri::command]
fn check_story(dojo: State<'_, Dojo>, story: StoryFields) -> Vec<StoryIssue> {
    dojo.check_story(&story)
}

#[tauri::command]
fn start_export(dojo: State<'_, Dojo>, request: ExportRequest) -> Result<ExportJob, Problem> {
    dojo.start_export(&request).map_err(|error| error.problem())
}

#[tauri::command]
fn export_job(dojo: State<'_, Dojo>, id: u32) -> Result<ExportJob, Problem> {
    dojo.export_job(id).map_err(|error| error.problem())
}

#[tauri::command]
fn export_preview(dojo: State<'_, Dojo>, id: u32) -> Result<String, Problem> {
    dojo.export_preview_data_url(id)
        .map_err(|error| error.problem())
}

/// Asks where to save with the system's dialog; `None` when the learner cancels.
fn ask_save_path(
    app: &AppHandle,
    file_name: &str,
    kind: &str,
    extension: &str,
) -> Result<Option<std::path::PathBuf>, Problem> {
    use tauri_plugin_dialog::DialogExt as _;
    let mut dialog = app
        .dialog()
        .file()
        .set_file_name(file_name)
        .add_filter(kind, &[extension]);
    // Start in Documents (or the home folder), not wherever the app was started from.
    let paths = app.path();
    if let Some(start) = paths
        .document_dir()
        .into_iter()
        .chain(paths.home_dir())
        .find(|folder| folder.is_dir())
    {
        dialog = dialog.set_directory(start);
    }
    let Some(choice) = dialog.blocking_save_file() else {
        return Ok(None);
    };
    choice
        .into_path()
        .map(Some)
        .map_err(|error| AppError::BadExport(format!("not a file path: {error}")).problem())
}

#[tauri::command]
async fn save_export(
    app: AppHandle,
    dojo: State<'_, Dojo>,
    id: u32,
) -> Result<Option<String>, Problem> {
    let job = dojo.export_job(id).map_err(|error| error.problem())?;
    let Some(path) = ask_save_path(&app, &job.file_name, "PDF", "pdf")? else {
        return Ok(None);
    };
    dojo.save_export_to(id, &path)
        .map(Some)
        .map_err(|error| error.problem())
}

#[tauri::command]
fn study_info(dojo: State<'_, Dojo>) -> Result<StudyInfo, Problem> {
    dojo.study_info().map_err(|error| error.problem())
}

#[tauri::command]
async fn save_study_backup(
    app: AppHandle,
    dojo: State<'_, Dojo>,
) -> Result<Option<String>, Problem> {
    let Some(path) = ask_save_path(&app, "backend-dojo-study.json", "JSON", "json")? else {
        return Ok(None);
    };
    dojo.save_study_backup_to(&path)
        .map(Some)
        .map_err(|error| error.problem())
}

#[tauri::command]
fn study_restore(dojo: State<'_, Dojo>, json: String) -> Result<RestoreSummary, Problem> {
    dojo.study_restore(&json).map_err(|error| error.problem())
}

#[tauri::command]
fn study_reset(dojo: State<'_, Dojo>, request: ResetRequest) -> Result<RestoreSummary, Problem> {
    dojo.study_reset(&request).map_err(|error| error.problem())
}

#[tauri::command]
fn profile(dojo: State<'_, Dojo>) -> Result<Profile, Problem> {
    dojo.profile().map_err(|error| error.problem())
}

#[tauri::command]
fn save_profile(dojo: State<'_, Dojo>, choices: ProfileChoices) -> Result<Profile, Problem> {
    dojo.save_profile(&choices).map_err(|error| error.problem())
}

#[tauri::command]
fn skip_first_run(dojo: State<'_, Dojo>) -> Result<Profile, Problem> {
    dojo.skip_first_run().map_err(|error| error.problem())
}

#[tauri::command]
fn restart_first_run(dojo: State<'_, Dojo>) -> Result<Profile, Problem> {
    dojo.restart_first_run().map_err(|error| error.problem())
}

#[tauri::command]
fn daily_plan(dojo: State<'_, Dojo>, today: Option<String>) -> Result<DailyPlan, Problem> {
    dojo.daily_plan(today.as_deref())
        .map_err(|error| error.problem())
}

#[tauri::command]
fn sandbox_settings(dojo: State<'_, Dojo>) -> Result<SandboxSettings, Problem> {
    dojo.sandbox_settings().map_err(|error| error.problem())
}

#[tauri::command]
async fn save_sandbox_settings(
    dojo: State<'_, Dojo>,
    settings: SandboxSettingsInput,
) -> Result<SandboxSettingsSaved, Problem> {
    dojo.save_sandbox_settings(&settings)
        .await
        .map_err(|error| error.problem())
}

#[tauri::command]
async fn test_mongodb(
    dojo: State<'_, Dojo>,
    request: ConnectionTestRequest,
) -> Result<ConnectionTest, Problem> {
    Ok(dojo.test_mongodb(&request).await)
}

#[tauri::command]
async fn test_redis(
    dojo: State<'_, Dojo>,
    request: ConnectionTestRequest,
) -> Result<ConnectionTest, Problem> {
    Ok(dojo.test_redis(&request).await)
}

#[tauri::command]
async fn test_smtp(
    dojo: State<'_, Dojo>,
    request: ConnectionTestRequest,
) -> Result<ConnectionTest, Problem> {
    Ok(dojo.test_smtp(&request).await)
}

/// The folder the app keeps its data in: the study database's, else Tauri's own.
fn data_dir(app: &tauri::App, dojo: &Dojo) -> Result<PathBuf, Box<dyn std::error::Error>> {
    let study = dojo
        .study_info()
        .ok()
        .and_then(|info| info.path)
        .and_then(|path| PathBuf::from(path).parent().map(PathBuf::from));
    match study {
        Some(dir) => Ok(dir),
        None => Ok(app.path().app_data_dir()?),
    }
}

/// Creates the main window as it was left, or at the screen a `dojo://` link names, with
/// the menu bar; its moves and its closing are remembered.
fn open_main_window(app: &tauri::App, dojo: &Dojo) -> Result<(), Box<dyn std::error::Error>> {
    let file = window_state::file_in(&data_dir(app, dojo)?);
    let remembered = window_state::load(&file);
    let link = window_state::route_from_args(std::env::args().skip(1));
    let mut config = app
        .config()
        .app
        .windows
        .iter()
        .find(|window| window.label == MAIN_WINDOW)
        .cloned()
        .ok_or("tauri.conf.json has no main window")?;
    let monitors = app.available_monitors().unwrap_or_default();
    window_state::apply(&mut config, remembered.as_ref(), &monitors, link.as_deref());
    let window = WebviewWindowBuilder::from_config(app.handle(), &config)?
        .menu(menu::build(app.handle())?)
        .build()?;
    let memory = WindowMemory::new(file, remembered);
    memory.observe(&window);
    app.manage(Arc::clone(&memory));
    let watched = window.clone();
    window.on_window_event(move |event| match event {
        WindowEvent::Moved(_) | WindowEvent::Resized(_) => memory.observe(&watched),
        WindowEvent::CloseRequested { .. } => memory.save_now(&watched),
        _ => {}
    });
    Ok(())
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
        .plugin(tauri_plugin_dialog::init())
        .manage(dojo)
        .on_menu_event(|app, event| {
            let id = event.id().as_ref();
            if id == menu::QUIT {
                if let Some(window) = app.get_webview_window(MAIN_WINDOW) {
                    app.state::<Arc<WindowMemory>>().save_now(&window);
                }
                app.exit(0);
            } else {
                menu::forward(app, MAIN_WINDOW, id);
            }
        })
        .setup(|app| {
            let dojo = app.state::<Dojo>().inner().clone();
            open_main_window(app, &dojo)?;
            // The app owns the sandbox from here; the status bar stops and restarts it.
            tauri::async_runtime::block_on(dojo.launch_saved_sandbox())?;
            // Every sandbox request reaches the traffic view as a `traffic` event, across
            // restarts of the sandbox.
            let handle = app.handle().clone();
            tauri::async_runtime::spawn(async move {
                use tokio_stream::StreamExt as _;
                let mut feed = dojo.live_traffic();
                while let Some(entry) = feed.next().await {
                    let _ = handle.emit("traffic", entry);
                }
            });
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            topic_index,
            topic,
            syntax_css,
            sandbox_info,
            start_sandbox,
            stop_sandbox,
            restart_sandbox,
            send_request,
            upload_to_sandbox,
            fetch_sandbox_object,
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
            add_card,
            interview_options,
            list_interviews,
            create_interview,
            mentor_view,
            candidate_view,
            start_interview,
            advance_interview,
            go_to_question,
            pause_interview_timer,
            resume_interview_timer,
            score_answer,
            set_interview_note,
            finish_interview,
            interview_summary,
            delete_interview,
            open_candidate_window,
            open_google_sign_in,
            topic_stories,
            save_story,
            update_story,
            delete_story,
            check_story,
            start_export,
            export_job,
            export_preview,
            save_export,
            study_info,
            save_study_backup,
            study_restore,
            study_reset,
            profile,
            save_profile,
            skip_first_run,
            restart_first_run,
            daily_plan,
            sandbox_settings,
            save_sandbox_settings,
            test_mongodb,
            test_redis,
            test_smtp
        ])
        .run(tauri::generate_context!());
    if let Err(error) = result {
        eprintln!("backend dojo: the window could not start: {error}");
        std::process::exit(1);
    }
}
