//! The sandbox part of Settings: the port the app's sandbox prefers, the MongoDB and Redis
//! servers it may keep its data in, and the SMTP relay its mail may also go out through
//! (with the From address of that mail), kept per install in `sandbox-settings.json` next
//! to the study database (written to a temporary owner-only file, then renamed over the
//! old one).
//!
//! Passwords inside the URIs are stored as the learner typed them but only ever leave the
//! app redacted (`mongodb://user:***@host/db`); a redacted password sent back unchanged
//! means "keep the stored one". Saving restarts the sandbox with the new settings; the
//! shells read them again at the next launch ([`Dojo::launch_saved_sandbox`]). The three
//! connection tests try a server with a short timeout and say what went wrong in words;
//! the SMTP one runs the handshake (and the login) without sending mail.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use dojo_sandbox::features::mail_delivery::{self, BadMailSettings};

use crate::sandbox::{SandboxInfo, SandboxOptions, SmtpRelay};
use crate::sandbox_secrets::SandboxSecrets;
use crate::{Dojo, Error, Result};

/// The file in the data folder that holds the sandbox settings.
pub const SETTINGS_FILE: &str = "sandbox-settings.json";
/// What a redacted password reads as.
const HIDDEN: &str = "***";
/// How long a MongoDB test waits for a server to answer.
const MONGO_SELECTION_TIMEOUT: Duration = Duration::from_secs(2);
/// The longest a MongoDB or Redis connection test may take, DNS and handshakes included.
const TEST_DEADLINE: Duration = Duration::from_secs(4);
/// The longest an SMTP test may take: the relay check's own bound, and a second to spare
/// so its more precise message wins.
const SMTP_TEST_DEADLINE: Duration =
    Duration::from_secs(mail_delivery::CHECK_TIMEOUT.as_secs() + 1);
/// A relay URL that is always well formed, for checking a From address saved without one.
const FROM_CHECK_URL: &str = "smtp://localhost";
/// What the storage label says with no MongoDB configured.
pub(crate) const EMBEDDED_STORAGE: &str = "SQLite (embedded)";

/// The sandbox settings as stored: what the learner typed, secrets included.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
struct Stored {
    #[serde(default)]
    port: Option<u16>,
    #[serde(default)]
    mongodb_uri: Option<String>,
    #[serde(default)]
    redis_url: Option<String>,
    #[serde(default)]
    smtp_url: Option<String>,
    #[serde(default)]
    mail_from: Option<String>,
}

/// The sandbox settings as Settings shows them; passwords are `***`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct SandboxSettings {
    /// The port the sandbox listens on; `None` lets the app pick a free one.
    pub port: Option<u16>,
    /// Empty: the data suite uses the embedded SQLite.
    pub mongodb_uri: String,
    /// Empty: the cache and sessions stay in the sandbox's own process.
    pub redis_url: String,
    /// The SMTP relay every mail also goes out through; empty: mail stays in the sandbox's
    /// mailbox only.
    pub smtp_url: String,
    /// The From of relayed mail; empty: [`SandboxSettings::default_mail_from`].
    pub mail_from: String,
    /// The From the sandbox uses when none is set.
    pub default_mail_from: String,
    /// The settings file; `None` when the study data lives in memory and nothing is kept.
    pub file: Option<String>,
}

/// The sandbox settings Settings sends to be saved. A URI whose password is `***` keeps
/// the stored password.
#[derive(Debug, Clone, Default, Deserialize, TS)]
#[ts(export)]
pub struct SandboxSettingsInput {
    #[serde(default)]
    pub port: Option<u16>,
    #[serde(default)]
    pub mongodb_uri: String,
    #[serde(default)]
    pub redis_url: String,
    /// `smtp://[user:password@]host[:port][?tls=starttls]` or `smtps://...`; empty: no relay.
    #[serde(default)]
    pub smtp_url: String,
    /// A mailbox such as `Dojo <dojo@example.test>`; empty: the sandbox's default.
    #[serde(default)]
    pub mail_from: String,
}

/// What saving did: the settings now kept, and the restarted sandbox.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct SandboxSettingsSaved {
    pub settings: SandboxSettings,
    pub sandbox: SandboxInfo,
}

/// The server a connection test should try, as typed in Settings (a `***` password means
/// the stored one).
#[derive(Debug, Clone, Deserialize, TS)]
#[ts(export)]
pub struct ConnectionTestRequest {
    pub uri: String,
}

/// The answer of a connection test; `message` never holds the password.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct ConnectionTest {
    pub ok: bool,
    /// The server's version, when it told us.
    pub server_version: Option<String>,
    /// One sentence for the learner: what answered, or what went wrong.
    pub message: String,
    pub elapsed_ms: u32,
}

/// Which field of the sandbox settings a refusal is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SandboxField {
    Port,
    MongodbUri,
    RedisUrl,
    SmtpUrl,
    MailFrom,
}

impl SandboxField {
    /// The problem title for a refusal of this field; the UI shows it next to the field.
    pub fn title(self) -> &'static str {
        match self {
            SandboxField::Port => "Port not usable",
            SandboxField::MongodbUri => "MongoDB URI not usable",
            SandboxField::RedisUrl => "Redis URL not usable",
            SandboxField::SmtpUrl => "SMTP relay URL not usable",
            SandboxField::MailFrom => "From address not usable",
        }
    }
}

/// Serializes saves, so two clicks never interleave a restart and a file write.
#[derive(Debug, Default)]
pub(crate) struct SettingsLock(tokio::sync::Mutex<()>);

impl Dojo {
    /// The sandbox settings, passwords redacted.
    pub fn sandbox_settings(&self) -> Result<SandboxSettings> {
        let file = self.sandbox_settings_file();
        let stored = read_stored(file.as_deref())?;
        Ok(shown(&stored, file.as_deref()))
    }

    /// Checks and saves the sandbox settings, then restarts the sandbox with them (its mail
    /// goes out through the saved relay from then on). A malformed URI, relay URL or From
    /// address is refused naming its field; when the sandbox cannot listen on the chosen
    /// port it keeps running as before and the error says which port and why. Either way
    /// nothing is saved.
    pub async fn save_sandbox_settings(
        &self,
        input: &SandboxSettingsInput,
    ) -> Result<SandboxSettingsSaved> {
        let _one_at_a_time = self.sandbox_settings_lock.0.lock().await;
        let file = self.sandbox_settings_file();
        let before = read_stored(file.as_deref())?;
        let mongodb_uri = checked(
            SandboxField::MongodbUri,
            &keep_hidden_password(&input.mongodb_uri, before.mongodb_uri.as_deref()),
        )?;
        let redis_url = checked(
            SandboxField::RedisUrl,
            &keep_hidden_password(&input.redis_url, before.redis_url.as_deref()),
        )?;
        let mail = checked_mail(
            &keep_hidden_password(&input.smtp_url, before.smtp_url.as_deref()),
            &input.mail_from,
        )?;
        let next = Stored {
            port: input.port.filter(|port| *port != 0),
            mongodb_uri,
            redis_url,
            smtp_url: mail.url,
            mail_from: mail.from,
        };
        let sandbox = self
            .sandbox
            .reconfigure(|options| apply(&next, mail.relay, options))
            .await?;
        if let Some(path) = &file {
            write_atomically(path, &next)?;
        }
        Ok(SandboxSettingsSaved {
            settings: shown(&next, file.as_deref()),
            sandbox,
        })
    }

    /// Starts the app's sandbox with the saved settings (the shells call this once at
    /// launch): its port, its servers and the SMTP relay its mail also goes out through. A
    /// saved port another program holds is swapped for a free one, and the status bar says
    /// so; unreadable settings are reported and the defaults used, and a relay that is no
    /// longer usable (the file was edited by hand) is reported and left out.
    pub async fn launch_saved_sandbox(&self) -> Result<SandboxInfo> {
        let file = self.sandbox_settings_file();
        if let Some(path) = &file
            && let Err(error) = restrict_to_owner(path)
        {
            eprintln!(
                "backend dojo: cannot make {} readable by this account only: {error}",
                path.display()
            );
        }
        let stored = read_stored(file.as_deref()).unwrap_or_else(|error| {
            eprintln!("backend dojo: {error}; the sandbox starts with its defaults");
            Stored::default()
        });
        let relay = checked_mail(
            stored.smtp_url.as_deref().unwrap_or_default(),
            stored.mail_from.as_deref().unwrap_or_default(),
        )
        .map(|mail| mail.relay)
        .unwrap_or_else(|error| {
            eprintln!("backend dojo: {error}; the sandbox's mail stays in its mailbox only");
            None
        });
        let mut options = SandboxOptions::default();
        apply(&stored, relay, &mut options);
        // Tokens and signed events outlive a restart: the install keeps its secrets.
        if let Some(dir) = self
            .sandbox_settings_file()
            .and_then(|f| Some(f.parent()?.to_owned()))
        {
            match SandboxSecrets::load_or_create(&dir) {
                Ok(secrets) => options.secrets = Some(secrets),
                Err(error) => eprintln!(
                    "backend dojo: cannot keep the sandbox's secrets in {}: {error}; \
                     this launch signs with fresh ones",
                    dir.display()
                ),
            }
        }
        self.launch_sandbox(options).await
    }

    /// Tries the MongoDB at `request.uri`: a ping and the server's version, within a few
    /// seconds.
    pub async fn test_mongodb(&self, request: &ConnectionTestRequest) -> ConnectionTest {
        let stored = self.stored_or_default().mongodb_uri;
        let uri = keep_hidden_password(&request.uri, stored.as_deref());
        timed(&uri, TEST_DEADLINE, probe_mongodb(&uri)).await
    }

    /// Tries the Redis at `request.uri`: a `PING` and the server's version, within a few
    /// seconds.
    pub async fn test_redis(&self, request: &ConnectionTestRequest) -> ConnectionTest {
        let stored = self.stored_or_default().redis_url;
        let url = keep_hidden_password(&request.uri, stored.as_deref());
        timed(&url, TEST_DEADLINE, probe_redis(&url)).await
    }

    /// Tries the SMTP relay at `request.uri` without sending mail: connects, runs the SMTP
    /// handshake (TLS and the login when the URL asks for them), within a few seconds.
    pub async fn test_smtp(&self, request: &ConnectionTestRequest) -> ConnectionTest {
        let stored = self.stored_or_default().smtp_url;
        let url = keep_hidden_password(&request.uri, stored.as_deref());
        let mut answer = timed(&url, SMTP_TEST_DEADLINE, probe_smtp(&url)).await;
        if answer.ok {
            let login = match userinfo(&url) {
                Some((_, info)) if !info.is_empty() => " and the login",
                _ => "",
            };
            answer.message = format!(
                "Reachable: {} took the SMTP handshake{login} (no mail sent)",
                location(&url)
            );
        }
        answer
    }

    fn stored_or_default(&self) -> Stored {
        read_stored(self.sandbox_settings_file().as_deref()).unwrap_or_default()
    }

    /// `sandbox-settings.json` beside the study database; `None` when that is in memory.
    fn sandbox_settings_file(&self) -> Option<PathBuf> {
        let study = self.study().ok()?;
        Some(study.path()?.parent()?.join(SETTINGS_FILE))
    }
}

/// Puts the stored settings, and the relay made from them, into the options of the next
/// start; the launch token and the other options stay. No port keeps the address the
/// sandbox has (or any free one).
fn apply(stored: &Stored, relay: Option<SmtpRelay>, options: &mut SandboxOptions) {
    if let Some(port) = stored.port {
        let ip = options
            .addr
            .map_or(IpAddr::V4(Ipv4Addr::LOCALHOST), |addr| addr.ip());
        options.addr = Some(SocketAddr::new(ip, port));
    }
    options.mongodb_uri = stored.mongodb_uri.clone();
    options.redis_url = stored.redis_url.clone();
    options.smtp = relay;
}

/// The SMTP settings as they are kept, and the relay the sandbox gets from them.
struct MailSettings {
    url: Option<String>,
    from: Option<String>,
    relay: Option<SmtpRelay>,
}

/// Checks the SMTP relay URL and the From address the way the sandbox will use them. Empty
/// fields mean "no relay" and "the default From"; a From without a URL is checked too and
/// kept for when a relay is set.
fn checked_mail(url: &str, from: &str) -> Result<MailSettings> {
    let url = Some(url.trim()).filter(|url| !url.is_empty());
    let from = Some(from.trim()).filter(|from| !from.is_empty());
    let relay = match url {
        Some(url) => Some(SmtpRelay::new(url, from).map_err(mail_refusal)?),
        None => {
            if from.is_some() {
                SmtpRelay::new(FROM_CHECK_URL, from).map_err(mail_refusal)?;
            }
            None
        }
    };
    Ok(MailSettings {
        url: url.map(str::to_owned),
        from: from.map(str::to_owned),
        relay,
    })
}

/// The refusal of a save for an unusable relay URL or From address; the message names the
/// value (password as `***`) and the problem.
fn mail_refusal(bad: BadMailSettings) -> Error {
    let BadMailSettings {
        setting,
        shown,
        problem,
    } = bad;
    if setting == "sender address" {
        Error::SandboxSetting(
            SandboxField::MailFrom,
            format!(
                "the From address {shown} cannot be used ({problem}); write it like \
                 Dojo <dojo@example.com> or dojo@example.com"
            ),
        )
    } else {
        Error::SandboxSetting(
            SandboxField::SmtpUrl,
            format!("the SMTP relay URL {shown} cannot be used: {problem}"),
        )
    }
}

fn shown(stored: &Stored, file: Option<&Path>) -> SandboxSettings {
    SandboxSettings {
        port: stored.port,
        mongodb_uri: stored
            .mongodb_uri
            .as_deref()
            .map(redact)
            .unwrap_or_default(),
        redis_url: stored.redis_url.as_deref().map(redact).unwrap_or_default(),
        smtp_url: stored.smtp_url.as_deref().map(redact).unwrap_or_default(),
        mail_from: stored.mail_from.clone().unwrap_or_default(),
        default_mail_from: mail_delivery::DEFAULT_FROM.to_owned(),
        file: file.map(|path| path.display().to_string()),
    }
}

fn read_stored(file: Option<&Path>) -> Result<Stored> {
    let Some(path) = file else {
        return Ok(Stored::default());
    };
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            return Ok(Stored::default());
        }
        Err(error) => {
            return Err(Error::SandboxSettingsFile(format!(
                "could not read {}: {error}",
                path.display()
            )));
        }
    };
    serde_json::from_str(&text).map_err(|error| {
        Error::SandboxSettingsFile(format!(
            "{} is not valid sandbox settings ({error}); save the sandbox settings again to \
             replace it",
            path.display()
        ))
    })
}

/// Writes the settings to a temporary file beside `path` and renames it over `path`, so a
/// crash leaves either the old settings or the new ones. The file holds passwords, so it
/// is readable by the learner's account alone (mode 0600).
fn write_atomically(path: &Path, stored: &Stored) -> Result<()> {
    let failed = |error: std::io::Error| {
        Error::SandboxSettingsFile(format!("could not write {}: {error}", path.display()))
    };
    let json = serde_json::to_string_pretty(stored)
        .map_err(|error| Error::SandboxSettingsFile(error.to_string()))?;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(failed)?;
    }
    let temporary = path.with_extension(format!("json.{}.tmp", std::process::id()));
    write_owner_only(&temporary, json.as_bytes()).map_err(failed)?;
    std::fs::rename(&temporary, path).map_err(|error| {
        let _ = std::fs::remove_file(&temporary);
        failed(error)
    })
}

/// Writes `bytes` to a new (or emptied) file only its owner may read.
fn write_owner_only(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    // A leftover temporary file keeps its old mode through `open`: set it again.
    restrict_to_owner(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

/// Makes an existing settings file readable by its owner alone (a file from an older
/// version, or one whose mode something widened); a missing file is left missing.
#[cfg(unix)]
fn restrict_to_owner(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt as _;
    let mode = match std::fs::metadata(path) {
        Ok(metadata) => metadata.permissions().mode() & 0o777,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(error) => return Err(error),
    };
    if mode != 0o600 {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(())
}

#[cfg(not(unix))]
fn restrict_to_owner(_path: &Path) -> std::io::Result<()> {
    Ok(())
}

/// An empty field means "not used"; anything else must look like a URI of its kind.
fn checked(field: SandboxField, value: &str) -> Result<Option<String>> {
    let value = value.trim();
    if value.is_empty() {
        return Ok(None);
    }
    let refuse = |why: String| Err(Error::SandboxSetting(field, why));
    let (schemes, example): (&[&str], &str) = match field {
        SandboxField::MongodbUri => (
            &["mongodb://", "mongodb+srv://"],
            "mongodb://user:password@host:27017/backend_dojo",
        ),
        SandboxField::RedisUrl => (
            &["redis://", "rediss://", "redis+unix://", "unix://"],
            "redis://127.0.0.1:6379/0",
        ),
        SandboxField::Port | SandboxField::SmtpUrl | SandboxField::MailFrom => (&[], ""),
    };
    let Some(rest) = schemes.iter().find_map(|scheme| value.strip_prefix(scheme)) else {
        return refuse(format!(
            "{} does not start with {}; write it like {example}",
            redact(value),
            schemes.join(" or ")
        ));
    };
    if value.contains(char::is_whitespace) {
        return refuse(format!("{} contains a space", redact(value)));
    }
    let unix_socket = value.starts_with("redis+unix://") || value.starts_with("unix://");
    if !unix_socket && host_part(rest).is_empty() {
        return refuse(format!(
            "{} names no host; write it like {example}",
            redact(value)
        ));
    }
    Ok(Some(value.to_owned()))
}

/// The userinfo of a URI (`user:password`, before the `@` of its authority) and where it
/// starts.
fn userinfo(uri: &str) -> Option<(usize, &str)> {
    let start = uri.find("://")? + 3;
    let rest = &uri[start..];
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let at = rest[..authority_end].rfind('@')?;
    Some((start, &rest[..at]))
}

fn password_of(uri: &str) -> Option<&str> {
    let (_, info) = userinfo(uri)?;
    info.split_once(':')
        .map(|(_, password)| password)
        .filter(|password| !password.is_empty())
}

/// `uri` with the password of its userinfo and any `password=`/`pass=` query value shown
/// as `***`; user, hosts, database and options stay.
pub fn redact(uri: &str) -> String {
    let mut shown = match userinfo(uri) {
        Some((start, info)) => match info.split_once(':') {
            Some((user, password)) if !password.is_empty() => {
                format!(
                    "{}{user}:{HIDDEN}{}",
                    &uri[..start],
                    &uri[start + info.len()..]
                )
            }
            _ => uri.to_owned(),
        },
        None => uri.to_owned(),
    };
    if let Some(query_start) = shown.find('?') {
        let (base, query) = shown.split_at(query_start + 1);
        let query: Vec<String> = query
            .split('&')
            .map(|pair| match pair.split_once('=') {
                Some((name, _)) if matches!(name, "password" | "pass") => {
                    format!("{name}={HIDDEN}")
                }
                _ => pair.to_owned(),
            })
            .collect();
        shown = format!("{base}{}", query.join("&"));
    }
    shown
}

/// The input as it should be used: when it still carries the redacted password, the
/// stored one takes its place (so an unchanged field, or a new host with the old password,
/// keeps the secret).
fn keep_hidden_password(input: &str, stored: Option<&str>) -> String {
    let input = input.trim();
    let Some(stored) = stored else {
        return input.to_owned();
    };
    if input == redact(stored) {
        return stored.to_owned();
    }
    match (userinfo(input), password_of(stored)) {
        (Some((start, info)), Some(secret)) => match info.split_once(':') {
            Some((user, HIDDEN)) => format!(
                "{}{user}:{secret}{}",
                &input[..start],
                &input[start + info.len()..]
            ),
            _ => input.to_owned(),
        },
        _ => input.to_owned(),
    }
}

/// The hosts of a URI's authority (after any userinfo), e.g. `db1:27017,db2:27017`.
fn host_part(after_scheme: &str) -> &str {
    let authority_end = after_scheme
        .find(['/', '?', '#'])
        .unwrap_or(after_scheme.len());
    let authority = &after_scheme[..authority_end];
    authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host)
}

/// Where a URI points, without user or password: its hosts, or a Unix socket's path.
fn location(uri: &str) -> String {
    let after_scheme = uri.split_once("://").map_or(uri, |(_, rest)| rest);
    let hosts = host_part(after_scheme);
    if !hosts.is_empty() {
        return hosts.to_owned();
    }
    let path = after_scheme.split(['?', '#']).next().unwrap_or_default();
    if path.is_empty() {
        "no host".to_owned()
    } else {
        path.to_owned()
    }
}

/// The status bar's storage label for a sandbox with these servers, credentials left out:
/// "SQLite (embedded)", "MongoDB (db:27017)", plus " · Redis (cache:6379)" when set.
pub(crate) fn storage_label(mongodb_uri: Option<&str>, redis_url: Option<&str>) -> String {
    let mut label = match mongodb_uri {
        Some(uri) => format!("MongoDB ({})", location(uri)),
        None => EMBEDDED_STORAGE.to_owned(),
    };
    if let Some(url) = redis_url {
        label.push_str(&format!(" · Redis ({})", location(url)));
    }
    label
}

/// Why a server could not be used, already in the learner's words.
struct Refused(String);

async fn timed(
    uri: &str,
    deadline: Duration,
    probe: impl Future<Output = std::result::Result<Option<String>, Refused>>,
) -> ConnectionTest {
    let started = Instant::now();
    let outcome = match tokio::time::timeout(deadline, probe).await {
        Ok(outcome) => outcome,
        Err(_) => Err(Refused(format!(
            "{} did not answer within {} s",
            location(uri),
            deadline.as_secs()
        ))),
    };
    let elapsed_ms = u32::try_from(started.elapsed().as_millis()).unwrap_or(u32::MAX);
    let scrub = |text: String| match password_of(uri) {
        Some(secret) => text.replace(secret, HIDDEN),
        None => text,
    };
    match outcome {
        Ok(version) => ConnectionTest {
            ok: true,
            message: scrub(match &version {
                Some(version) => format!("Connected to {} (version {version})", location(uri)),
                None => format!("Connected to {}", location(uri)),
            }),
            server_version: version,
            elapsed_ms,
        },
        Err(Refused(why)) => ConnectionTest {
            ok: false,
            server_version: None,
            message: scrub(why),
            elapsed_ms,
        },
    }
}

async fn probe_mongodb(uri: &str) -> std::result::Result<Option<String>, Refused> {
    use mongodb::bson::doc;
    use mongodb::options::ClientOptions;

    let uri = checked(SandboxField::MongodbUri, uri)
        .map_err(|error| Refused(error.to_string()))?
        .ok_or_else(|| Refused("enter a MongoDB URI to test".to_owned()))?;
    let mut options = ClientOptions::parse(&uri)
        .await
        .map_err(|error| Refused(format!("the URI is malformed: {}", mongo_cause(&error))))?;
    options.server_selection_timeout = Some(MONGO_SELECTION_TIMEOUT);
    options.connect_timeout = Some(MONGO_SELECTION_TIMEOUT);
    options.app_name = Some("backend-dojo-settings".to_owned());
    let client = mongodb::Client::with_options(options)
        .map_err(|error| Refused(format!("the URI is malformed: {}", mongo_cause(&error))))?;
    let admin = client.database("admin");
    let where_ = location(&uri);
    admin
        .run_command(doc! { "ping": 1 })
        .await
        .map_err(|error| Refused(describe_mongo_failure(&where_, &error)))?;
    // The version is a courtesy: a server that answers the ping but not this still works.
    let version = admin
        .run_command(doc! { "buildInfo": 1 })
        .await
        .ok()
        .and_then(|info| info.get_str("version").ok().map(str::to_owned));
    Ok(version)
}

fn mongo_cause(error: &mongodb::error::Error) -> String {
    match error.kind.as_ref() {
        mongodb::error::ErrorKind::InvalidArgument { message, .. } => message.clone(),
        _ => error.to_string(),
    }
}

fn describe_mongo_failure(location: &str, error: &mongodb::error::Error) -> String {
    use mongodb::error::ErrorKind;
    match error.kind.as_ref() {
        ErrorKind::Authentication { message, .. } => format!(
            "MongoDB at {location} refused the user name or password (authentication failed: \
             {message})"
        ),
        ErrorKind::ServerSelection { .. } => format!(
            "no MongoDB server answered at {location} within {} s; check the host, the port \
             and that the server runs",
            MONGO_SELECTION_TIMEOUT.as_secs()
        ),
        ErrorKind::InvalidArgument { message, .. } => format!("the URI is malformed: {message}"),
        _ if error.to_string().to_lowercase().contains("auth") => format!(
            "MongoDB at {location} refused the user name or password (authentication failed: \
             {error})"
        ),
        _ => format!("MongoDB at {location} could not be used: {error}"),
    }
}

async fn probe_redis(url: &str) -> std::result::Result<Option<String>, Refused> {
    let url = checked(SandboxField::RedisUrl, url)
        .map_err(|error| Refused(error.to_string()))?
        .ok_or_else(|| Refused("enter a Redis URL to test".to_owned()))?;
    let mut manager = dojo_sandbox::redis_link::connect(&url)
        .map_err(|error| Refused(format!("the URL is malformed: {}", error.cause)))?;
    let where_ = location(&url);
    redis::cmd("PING")
        .query_async::<String>(&mut manager)
        .await
        .map_err(|error| Refused(describe_redis_failure(&where_, &error)))?;
    let info = redis::cmd("INFO")
        .arg("server")
        .query_async::<String>(&mut manager)
        .await
        .unwrap_or_default();
    Ok(info
        .lines()
        .find_map(|line| line.strip_prefix("redis_version:"))
        .map(|version| version.trim().to_owned()))
}

fn describe_redis_failure(location: &str, error: &redis::RedisError) -> String {
    let text = error.to_string();
    let upper = text.to_uppercase();
    if error.kind() == redis::ErrorKind::AuthenticationFailed
        || upper.contains("WRONGPASS")
        || upper.contains("NOAUTH")
        || upper.contains("INVALID PASSWORD")
        || upper.contains("INVALID USERNAME-PASSWORD")
    {
        format!(
            "Redis at {location} refused the user name or password (authentication failed: {text})"
        )
    } else if error.is_connection_refusal() {
        format!(
            "nothing answered at {location}: the connection was refused; check the host, the \
             port and that redis-server runs"
        )
    } else if error.is_timeout() {
        format!("Redis at {location} did not answer in time ({text})")
    } else {
        format!("Redis at {location} could not be used: {text}")
    }
}

/// Runs the relay check of the sandbox's mail delivery on `url`; the relay has no version
/// to tell.
async fn probe_smtp(url: &str) -> std::result::Result<Option<String>, Refused> {
    if url.trim().is_empty() {
        return Err(Refused("enter an SMTP relay URL to test".to_owned()));
    }
    let relay = SmtpRelay::new(url, None).map_err(|bad| Refused(bad.to_string()))?;
    mail_delivery::check_relay(&relay).await.map_err(Refused)?;
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_redacted_and_hosts_kept() {
        assert_eq!(
            redact("mongodb://ada:s3cret@db.internal:27017/dojo?authSource=admin"),
            "mongodb://ada:***@db.internal:27017/dojo?authSource=admin"
        );
        assert_eq!(
            redact("redis://:pw@cache:6379/0"),
            "redis://:***@cache:6379/0"
        );
        assert_eq!(redact("redis://cache:6379/0"), "redis://cache:6379/0");
        assert_eq!(redact("redis://app@cache/0"), "redis://app@cache/0");
    }

    #[test]
    fn a_hidden_password_keeps_the_stored_one() {
        let stored = Some("mongodb://ada:s3cret@db:27017/dojo");
        assert_eq!(
            keep_hidden_password("mongodb://ada:***@db:27017/dojo", stored),
            "mongodb://ada:s3cret@db:27017/dojo"
        );
        assert_eq!(
            keep_hidden_password("mongodb://ada:***@db2:27017/dojo", stored),
            "mongodb://ada:s3cret@db2:27017/dojo"
        );
        assert_eq!(
            keep_hidden_password("mongodb://ada:new@db:27017/dojo", stored),
            "mongodb://ada:new@db:27017/dojo"
        );
        assert_eq!(keep_hidden_password("", stored), "");
    }

    #[test]
    fn the_label_names_hosts_only() {
        assert_eq!(storage_label(None, None), "SQLite (embedded)");
        assert_eq!(
            storage_label(
                Some("mongodb://ada:s3cret@db:27017/x"),
                Some("redis://:p@c:6379/0")
            ),
            "MongoDB (db:27017) · Redis (c:6379)"
        );
        assert_eq!(
            storage_label(None, Some("redis+unix:///run/redis.sock")),
            "SQLite (embedded) · Redis (/run/redis.sock)"
        );
    }

    #[test]
    fn malformed_uris_are_refused_with_the_field() {
        let refused = checked(SandboxField::MongodbUri, "http://ada:pw@db").expect_err("not mongo");
        let text = refused.to_string();
        assert!(text.contains("mongodb://"), "{text}");
        assert!(!text.contains("pw"), "{text}");
        assert!(checked(SandboxField::RedisUrl, "redis:///0").is_err());
        assert_eq!(
            checked(SandboxField::RedisUrl, "  ").expect("empty is fine"),
            None
        );
    }
}
