//! The main window as the learner left it: size, position, maximized or not, and the
//! screen it showed (a topic, say), kept in `window-state.json` in the data folder so the
//! next launch opens the same way. A `dojo://` link given on the command line wins over the
//! remembered screen.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tauri::utils::config::WindowConfig;
use tauri::{Monitor, WebviewUrl, WebviewWindow};

/// The file name inside the data folder.
const FILE_NAME: &str = "window-state.json";
/// The scheme of Backend Dojo's deep links: `dojo://topic/17`.
const SCHEME: &str = "dojo://";
/// The longest route kept or followed.
const MAX_ROUTE_LEN: usize = 200;

/// What is remembered of the main window, in logical pixels.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct WindowState {
    pub(crate) width: f64,
    pub(crate) height: f64,
    /// The outer top-left corner; `None` lets the system place the window.
    pub(crate) x: Option<f64>,
    pub(crate) y: Option<f64>,
    pub(crate) maximized: bool,
    /// The app route shown, e.g. `/topic/rate-limiting`; `None` for the dashboard.
    pub(crate) route: Option<String>,
}

/// How long after a change the state is written, so a drag writes once, not per pixel.
const SAVE_DELAY: Duration = Duration::from_millis(400);

/// The main window's state file and the newest state seen of it. Each change (a move, a
/// resize, a topic opened) is written shortly after, so even an app that is killed
/// reopens where it was; closing or quitting writes at once.
#[derive(Debug)]
pub(crate) struct WindowMemory {
    file: PathBuf,
    last: Mutex<Option<WindowState>>,
    save_pending: AtomicBool,
}

impl WindowMemory {
    pub(crate) fn new(file: PathBuf, remembered: Option<WindowState>) -> Arc<WindowMemory> {
        Arc::new(WindowMemory {
            file,
            last: Mutex::new(remembered),
            save_pending: AtomicBool::new(false),
        })
    }

    /// Takes the window's current size, position and screen, and saves them soon.
    pub(crate) fn observe(self: &Arc<Self>, window: &WebviewWindow) {
        {
            let mut last = self.last.lock().unwrap_or_else(PoisonError::into_inner);
            if let Some(state) = capture(window, last.as_ref()) {
                *last = Some(state);
            }
        }
        self.save_soon();
    }

    /// Notes the topic the learner opened (by id or slug), and saves it soon.
    pub(crate) fn topic_opened(self: &Arc<Self>, key: &str) {
        let Some(route) = remembered_route(&format!("/topic/{key}")) else {
            return;
        };
        if let Some(state) = self
            .last
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .as_mut()
        {
            state.route = Some(route);
        }
        self.save_soon();
    }

    /// Takes the window's state and writes it now (the window is closing).
    pub(crate) fn save_now(&self, window: &WebviewWindow) {
        let mut last = self.last.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(state) = capture(window, last.as_ref()) {
            *last = Some(state);
        }
        self.write(last.as_ref());
    }

    fn save_soon(self: &Arc<Self>) {
        if self.save_pending.swap(true, Ordering::AcqRel) {
            return;
        }
        let memory = Arc::clone(self);
        std::thread::spawn(move || {
            std::thread::sleep(SAVE_DELAY);
            memory.save_pending.store(false, Ordering::Release);
            let last = memory.last.lock().unwrap_or_else(PoisonError::into_inner);
            memory.write(last.as_ref());
        });
    }

    fn write(&self, state: Option<&WindowState>) {
        if let Some(state) = state
            && let Err(error) = save(&self.file, state)
        {
            eprintln!(
                "backend dojo: could not save the window to {}: {error}",
                self.file.display()
            );
        }
    }
}

/// Where the state file lives: beside the study database.
pub(crate) fn file_in(data_dir: &Path) -> PathBuf {
    data_dir.join(FILE_NAME)
}

/// The remembered state; `None` when there is none or the file cannot be read (a broken
/// file is reported and then replaced on the next save).
pub(crate) fn load(path: &Path) -> Option<WindowState> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return None,
        Err(error) => {
            eprintln!("backend dojo: cannot read {}: {error}", path.display());
            return None;
        }
    };
    match serde_json::from_str::<WindowState>(&text) {
        Ok(state) if state.width.is_finite() && state.height.is_finite() => Some(state),
        Ok(_) => None,
        Err(error) => {
            eprintln!("backend dojo: ignoring {}: {error}", path.display());
            None
        }
    }
}

/// Writes the state through a temporary file, so a crash never leaves half a file.
pub(crate) fn save(path: &Path, state: &WindowState) -> std::io::Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let json = serde_json::to_string_pretty(state).map_err(std::io::Error::other)?;
    let temporary = path.with_extension("json.tmp");
    std::fs::write(&temporary, json)?;
    std::fs::rename(&temporary, path)
}

/// The window's current state. While maximized, the size and position of the normal
/// window are kept from `previous`, so un-maximizing after a restart restores them.
pub(crate) fn capture(
    window: &WebviewWindow,
    previous: Option<&WindowState>,
) -> Option<WindowState> {
    let scale = window.scale_factor().ok()?;
    let maximized = window.is_maximized().unwrap_or(false);
    let route = window
        .url()
        .ok()
        .and_then(|url| url.fragment().map(str::to_owned))
        .and_then(|fragment| remembered_route(&fragment));
    if maximized || window.is_minimized().unwrap_or(false) {
        let mut kept = previous.cloned()?;
        kept.maximized = maximized;
        kept.route = route;
        return Some(kept);
    }
    let size = window.inner_size().ok()?.to_logical::<f64>(scale);
    let position = window.outer_position().ok()?.to_logical::<f64>(scale);
    Some(WindowState {
        width: size.width,
        height: size.height,
        x: Some(position.x),
        y: Some(position.y),
        maximized: false,
        route,
    })
}

/// Sets up the main window's configuration from the remembered state (a position off every
/// monitor is dropped, a size below the minimum raised) and opens `route` if given.
pub(crate) fn apply(
    config: &mut WindowConfig,
    state: Option<&WindowState>,
    monitors: &[Monitor],
    route: Option<&str>,
) {
    if let Some(state) = state {
        config.width = state.width.max(config.min_width.unwrap_or(0.0));
        config.height = state.height.max(config.min_height.unwrap_or(0.0));
        if let (Some(x), Some(y)) = (state.x, state.y)
            && on_some_monitor(x, y, monitors)
        {
            config.x = Some(x);
            config.y = Some(y);
            config.center = false;
        }
        config.maximized = state.maximized;
    }
    let route = route.or_else(|| state.and_then(|state| state.route.as_deref()));
    if let Some(route) = route {
        config.url = WebviewUrl::App(format!("index.html#{route}").into());
    }
}

/// Whether a window corner at logical (`x`, `y`) lies on one of the monitors, with room
/// for its title bar to be grabbed.
fn on_some_monitor(x: f64, y: f64, monitors: &[Monitor]) -> bool {
    monitors.iter().any(|monitor| {
        let scale = monitor.scale_factor();
        let origin = monitor.position().to_logical::<f64>(scale);
        let size = monitor.size().to_logical::<f64>(scale);
        x >= origin.x - 40.0
            && y >= origin.y - 10.0
            && x < origin.x + size.width - 80.0
            && y < origin.y + size.height - 40.0
    })
}

/// The route a `dojo://` link names (`dojo://topic/17` is `/topic/17`), from the
/// command-line arguments; the first link wins.
pub(crate) fn route_from_args(args: impl IntoIterator<Item = String>) -> Option<String> {
    args.into_iter().find_map(|arg| {
        let rest = arg.strip_prefix(SCHEME)?;
        remembered_route(&format!("/{}", rest.trim_start_matches('/')))
    })
}

/// A route worth reopening: the app's own screens, in plain URL characters. The candidate's
/// view of an interview and anything unknown open the dashboard instead.
fn remembered_route(fragment: &str) -> Option<String> {
    let route = fragment.trim_end_matches('/');
    let plain = route
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"/-_.%".contains(&b));
    if !plain || route.len() > MAX_ROUTE_LEN || route.contains("..") {
        return None;
    }
    let screens = ["/traffic", "/review", "/settings", "/interviews"];
    let topic = route
        .strip_prefix("/topic/")
        .is_some_and(|key| !key.is_empty() && !key.contains('/'));
    (topic || screens.contains(&route)).then(|| route.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|arg| (*arg).to_owned()).collect()
    }

    #[test]
    fn deep_links_on_the_command_line_name_a_screen() {
        assert_eq!(
            route_from_args(args(&["backend-dojo", "dojo://topic/17"])).as_deref(),
            Some("/topic/17")
        );
        assert_eq!(
            route_from_args(args(&["backend-dojo", "dojo://topic/rate-limiting/"])).as_deref(),
            Some("/topic/rate-limiting")
        );
        assert_eq!(
            route_from_args(args(&["backend-dojo", "dojo://review"])).as_deref(),
            Some("/review")
        );
        assert_eq!(route_from_args(args(&["backend-dojo"])), None);
        for hostile in [
            "dojo://topic/17/../../etc",
            "dojo://topic/<script>",
            "dojo://interview/3/candidate",
            "dojo://topic/",
            "https://example.com/topic/17",
        ] {
            assert_eq!(
                route_from_args(args(&["backend-dojo", hostile])),
                None,
                "{hostile}"
            );
        }
    }

    #[test]
    fn a_saved_state_reads_back_and_a_broken_file_is_ignored() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = file_in(dir.path());
        assert_eq!(load(&path), None, "no file yet");
        let state = WindowState {
            width: 1320.0,
            height: 860.5,
            x: Some(40.0),
            y: Some(-12.0),
            maximized: false,
            route: Some("/topic/rate-limiting".into()),
        };
        save(&path, &state).expect("save");
        assert_eq!(load(&path), Some(state));
        std::fs::write(&path, "{ not json").expect("break the file");
        assert_eq!(load(&path), None);
    }

    #[test]
    fn the_remembered_size_and_screen_go_into_the_window_config() {
        let mut config = WindowConfig {
            width: 1200.0,
            height: 800.0,
            min_width: Some(760.0),
            min_height: Some(480.0),
            ..WindowConfig::default()
        };
        let state = WindowState {
            width: 500.0,
            height: 900.0,
            x: Some(100.0),
            y: Some(100.0),
            maximized: true,
            route: Some("/topic/17".into()),
        };
        // No monitor is known: the position is dropped, the size kept above the minimum.
        apply(&mut config, Some(&state), &[], None);
        assert_eq!((config.width, config.height), (760.0, 900.0));
        assert_eq!((config.x, config.y), (None, None));
        assert!(config.maximized);
        assert_eq!(config.url.to_string(), "index.html#/topic/17");

        // A deep link wins over the remembered screen.
        apply(&mut config, Some(&state), &[], Some("/review"));
        assert_eq!(config.url.to_string(), "index.html#/review");
    }
}
