//! Session scripts: the JSON of `conformance session SCRIPT` (`CLI.md`),
//! parsed and checked before anything runs.
//!
//! ```json
//! {"modules": [{"name": "ping", "guest": "ping.wat"}, {"name": "pong", "guest": "pong.wat"}],
//!  "steps": [
//!   {"invoke": "ping", "call": "start", "input_hex": "05"},
//!   {"invoke": "pong", "call": "add", "args": "i64:2,i64:3"},
//!   {"pump": "on_message", "max_steps": 100},
//!   {"unload": "pong"}
//!  ]}
//! ```
//!
//! Each `invoke` and `pump` step may also carry `seed` (64 hex digits),
//! `time_ns` and `gas`, as `run`'s options. Two extensions of `CLI.md`: a
//! step `{"load": NAME, "guest": PATH}` loads a module in the middle of a
//! script (for instance again after an `unload`), and a top-level
//! `"limits"` object sets any of the [`SessionLimits`] (`max_message_len`,
//! `max_messages_per_execution`, `max_mailbox_len`, `max_pump_steps`; the
//! defaults otherwise), which the fuzzer's reproducers use. Guest paths are relative
//! to the script's folder. Unknown keys are errors, so a typo never passes
//! silently.

use std::path::{Path, PathBuf};

use runtime::{ExecutionContext, SessionLimits, WasmValue};
use serde_json::{Map, Value};

use crate::runner::{LoadError, load_guest};
use crate::typed_args::parse_args;

/// A module of a script: its name and bytes.
#[derive(Clone, Debug)]
pub struct ScriptModule {
    /// The name it is loaded under.
    pub name: String,
    /// Where it came from, for messages (a path, or `(inline)`).
    pub guest: String,
    /// The module, binary.
    pub wasm: Vec<u8>,
}

/// One step of a script.
#[derive(Clone, Debug)]
pub enum ScriptStep {
    /// Invoke an export of a loaded module.
    Invoke {
        /// The module's name.
        module: String,
        /// The export.
        call: String,
        /// Typed arguments (`None`: an ABI call of a `[] -> []` export).
        args: Option<Vec<WasmValue>>,
        /// Input, seed, time and gas.
        context: ExecutionContext,
    },
    /// Deliver messages.
    Pump {
        /// The handler export every receiver runs.
        handler: String,
        /// At most this many steps.
        max_steps: u64,
        /// Seed, time and gas of every handler invocation.
        context: ExecutionContext,
    },
    /// Load a module (an extension of `CLI.md`).
    Load(ScriptModule),
    /// Unload a module.
    Unload(String),
}

/// A whole script: modules loaded first, then the steps in order, under
/// session limits.
#[derive(Clone, Debug, Default)]
pub struct Script {
    /// Loaded before the first step, in order.
    pub modules: Vec<ScriptModule>,
    /// The steps.
    pub steps: Vec<ScriptStep>,
    /// The session's limits (the defaults for a script file).
    pub limits: SessionLimits,
}

/// Why a script cannot run: a usage error (exit 2).
#[derive(Debug, thiserror::Error)]
pub enum ScriptError {
    /// The script file could not be read.
    #[error("cannot read session script {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// Not JSON.
    #[error("session script {path} is not JSON: {source}")]
    Json {
        /// The file.
        path: String,
        /// The parser's error.
        source: serde_json::Error,
    },
    /// JSON, but not a valid script; the message says where.
    #[error("session script: {0}")]
    Invalid(String),
    /// A guest file could not be loaded.
    #[error("session script: {0}")]
    Guest(#[from] LoadError),
}

fn invalid(message: impl Into<String>) -> ScriptError {
    ScriptError::Invalid(message.into())
}

impl Script {
    /// Reads and checks a script file; guest paths are relative to its
    /// folder.
    ///
    /// # Errors
    ///
    /// A [`ScriptError`] naming the file, step or key at fault.
    pub fn from_file(path: &Path) -> Result<Self, ScriptError> {
        let text = std::fs::read_to_string(path).map_err(|source| ScriptError::Io {
            path: path.display().to_string(),
            source,
        })?;
        let value: Value = serde_json::from_str(&text).map_err(|source| ScriptError::Json {
            path: path.display().to_string(),
            source,
        })?;
        let dir = path.parent().map_or_else(PathBuf::new, Path::to_path_buf);
        Self::from_json(&value, &dir)
    }

    /// A script from its JSON, guest paths relative to `dir`.
    ///
    /// # Errors
    ///
    /// As [`Script::from_file`].
    pub fn from_json(value: &Value, dir: &Path) -> Result<Self, ScriptError> {
        let top = object(value, "the script")?;
        only_keys(top, &["modules", "steps", "limits"], "the script")?;
        let modules = top
            .get("modules")
            .and_then(Value::as_array)
            .ok_or_else(|| invalid("\"modules\" must be an array of {\"name\", \"guest\"}"))?
            .iter()
            .enumerate()
            .map(|(i, m)| {
                let what = format!("module {}", i + 1);
                let m = object(m, &what)?;
                only_keys(m, &["name", "guest"], &what)?;
                load_module(string(m, "name", &what)?, string(m, "guest", &what)?, dir)
            })
            .collect::<Result<Vec<_>, _>>()?;
        let steps = top
            .get("steps")
            .and_then(Value::as_array)
            .ok_or_else(|| invalid("\"steps\" must be an array"))?
            .iter()
            .enumerate()
            .map(|(i, s)| step(s, i + 1, dir))
            .collect::<Result<Vec<_>, _>>()?;
        let script = Self {
            modules,
            steps,
            limits: top
                .get("limits")
                .map(limits)
                .transpose()?
                .unwrap_or_default(),
        };
        script.check_names()?;
        Ok(script)
    }

    /// Checks, before anything runs, that every name is 1 to 64 bytes,
    /// nothing is loaded twice, and every step names a module loaded at
    /// that point.
    ///
    /// # Errors
    ///
    /// [`ScriptError::Invalid`] naming the step.
    pub fn check_names(&self) -> Result<(), ScriptError> {
        let mut loaded = std::collections::BTreeSet::new();
        let load = |loaded: &mut std::collections::BTreeSet<String>, name: &str, what: &str| {
            if name.is_empty() || name.len() > runtime::MAX_NAME_LEN {
                return Err(invalid(format!(
                    "{what}: module name {name:?} must be 1 to {} bytes",
                    runtime::MAX_NAME_LEN
                )));
            }
            if !loaded.insert(name.to_owned()) {
                return Err(invalid(format!("{what}: {name:?} is already loaded")));
            }
            Ok(())
        };
        for m in &self.modules {
            load(&mut loaded, &m.name, "modules")?;
        }
        for (i, s) in self.steps.iter().enumerate() {
            let what = format!("step {}", i + 1);
            match s {
                ScriptStep::Load(m) => load(&mut loaded, &m.name, &what)?,
                ScriptStep::Invoke { module, .. } | ScriptStep::Unload(module) => {
                    if !loaded.contains(module) {
                        return Err(invalid(format!(
                            "{what}: no module {module:?} is loaded at this point"
                        )));
                    }
                    if matches!(s, ScriptStep::Unload(_)) {
                        loaded.remove(module);
                    }
                }
                ScriptStep::Pump { .. } => {}
            }
        }
        Ok(())
    }
}

fn object<'a>(value: &'a Value, what: &str) -> Result<&'a Map<String, Value>, ScriptError> {
    value
        .as_object()
        .ok_or_else(|| invalid(format!("{what} must be a JSON object")))
}

fn only_keys(map: &Map<String, Value>, allowed: &[&str], what: &str) -> Result<(), ScriptError> {
    match map.keys().find(|k| !allowed.contains(&k.as_str())) {
        Some(key) => Err(invalid(format!(
            "{what}: unknown key {key:?} (expected {})",
            allowed.join(", ")
        ))),
        None => Ok(()),
    }
}

fn string<'a>(map: &'a Map<String, Value>, key: &str, what: &str) -> Result<&'a str, ScriptError> {
    map.get(key)
        .and_then(Value::as_str)
        .ok_or_else(|| invalid(format!("{what}: \"{key}\" must be a string")))
}

fn number(map: &Map<String, Value>, key: &str, what: &str) -> Result<Option<u64>, ScriptError> {
    map.get(key)
        .map(|v| {
            v.as_u64()
                .ok_or_else(|| invalid(format!("{what}: \"{key}\" must be a non-negative integer")))
        })
        .transpose()
}

/// The extension key `limits`: any of the [`SessionLimits`] fields.
fn limits(value: &Value) -> Result<SessionLimits, ScriptError> {
    let what = "\"limits\"";
    let map = object(value, what)?;
    let keys = [
        "max_message_len",
        "max_messages_per_execution",
        "max_mailbox_len",
        "max_pump_steps",
    ];
    only_keys(map, &keys, what)?;
    let mut limits = SessionLimits::default();
    let fields = [
        &mut limits.max_message_len,
        &mut limits.max_messages_per_execution,
        &mut limits.max_mailbox_len,
        &mut limits.max_pump_steps,
    ];
    for (key, field) in keys.into_iter().zip(fields) {
        if let Some(n) = number(map, key, what)? {
            *field = n;
        }
    }
    Ok(limits)
}

fn load_module(name: &str, guest: &str, dir: &Path) -> Result<ScriptModule, ScriptError> {
    let path = dir.join(guest);
    Ok(ScriptModule {
        name: name.to_owned(),
        guest: path.display().to_string(),
        wasm: load_guest(&path, runtime::ModuleLimits::default().max_module_size)?,
    })
}

/// Seed, time and gas of a step.
fn context(map: &Map<String, Value>, what: &str) -> Result<ExecutionContext, ScriptError> {
    let mut context = ExecutionContext::default();
    if let Some(seed) = map.get("seed") {
        let seed = seed
            .as_str()
            .and_then(|s| hex::decode(s).ok())
            .and_then(|b| <[u8; 32]>::try_from(b).ok())
            .ok_or_else(|| invalid(format!("{what}: \"seed\" must be 64 hex digits")))?;
        context.seed = seed;
    }
    if let Some(time) = number(map, "time_ns", what)? {
        context.timestamp_ns = time;
    }
    if let Some(gas) = number(map, "gas", what)? {
        context.limits.gas = gas;
    }
    Ok(context)
}

fn step(value: &Value, index: usize, dir: &Path) -> Result<ScriptStep, ScriptError> {
    let what = format!("step {index}");
    let map = object(value, &what)?;
    if let Some(module) = map.get("invoke") {
        only_keys(
            map,
            &[
                "invoke",
                "call",
                "input_hex",
                "args",
                "seed",
                "time_ns",
                "gas",
            ],
            &what,
        )?;
        let module = module
            .as_str()
            .ok_or_else(|| invalid(format!("{what}: \"invoke\" must be a module name")))?;
        let mut context = context(map, &what)?;
        if let Some(input) = map.get("input_hex") {
            context.input = input
                .as_str()
                .and_then(|s| hex::decode(s).ok())
                .ok_or_else(|| invalid(format!("{what}: \"input_hex\" must be hex")))?;
        }
        let args = map
            .get("args")
            .map(|a| {
                a.as_str()
                    .ok_or_else(|| invalid(format!("{what}: \"args\" must be a string")))
                    .and_then(|s| parse_args(s).map_err(|e| invalid(format!("{what}: {e}"))))
            })
            .transpose()?;
        return Ok(ScriptStep::Invoke {
            module: module.to_owned(),
            call: string(map, "call", &what)?.to_owned(),
            args,
            context,
        });
    }
    if let Some(handler) = map.get("pump") {
        only_keys(map, &["pump", "max_steps", "seed", "time_ns", "gas"], &what)?;
        let handler = handler
            .as_str()
            .ok_or_else(|| invalid(format!("{what}: \"pump\" must be an export name")))?;
        return Ok(ScriptStep::Pump {
            handler: handler.to_owned(),
            max_steps: number(map, "max_steps", &what)?
                .unwrap_or(SessionLimits::default().max_pump_steps),
            context: context(map, &what)?,
        });
    }
    if let Some(name) = map.get("unload") {
        only_keys(map, &["unload"], &what)?;
        let name = name
            .as_str()
            .ok_or_else(|| invalid(format!("{what}: \"unload\" must be a module name")))?;
        return Ok(ScriptStep::Unload(name.to_owned()));
    }
    if let Some(name) = map.get("load") {
        only_keys(map, &["load", "guest"], &what)?;
        let name = name
            .as_str()
            .ok_or_else(|| invalid(format!("{what}: \"load\" must be a module name")))?;
        return Ok(ScriptStep::Load(load_module(
            name,
            string(map, "guest", &what)?,
            dir,
        )?));
    }
    Err(invalid(format!(
        "{what}: expected one of \"invoke\", \"pump\", \"unload\", \"load\""
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(value: Value) -> Result<Script, String> {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("guests/session");
        Script::from_json(&value, &dir).map_err(|e| e.to_string())
    }

    #[test]
    fn parses_every_step_kind() {
        let script = parse(json!({
            "modules": [{"name": "ping", "guest": "ping.wat"}, {"name": "pong", "guest": "pong.wat"}],
            "limits": {"max_mailbox_len": 3},
            "steps": [
                {"invoke": "ping", "call": "start", "input_hex": "05", "seed": "11".repeat(32), "time_ns": 7, "gas": 9},
                {"invoke": "pong", "call": "add", "args": "i64:2,i64:3"},
                {"pump": "on_message", "max_steps": 100},
                {"unload": "pong"},
                {"load": "pong", "guest": "pong.wat"},
            ]
        }))
        .unwrap();
        assert_eq!(script.modules.len(), 2);
        assert_eq!(
            script.limits,
            SessionLimits {
                max_mailbox_len: 3,
                ..SessionLimits::default()
            }
        );
        let ScriptStep::Invoke { context, args, .. } = &script.steps[0] else {
            panic!("{:?}", script.steps[0])
        };
        assert_eq!(
            (
                context.input.as_slice(),
                context.seed,
                context.timestamp_ns,
                context.limits.gas,
                args
            ),
            (&[5u8][..], [0x11; 32], 7, 9, &None)
        );
        let ScriptStep::Invoke { args, .. } = &script.steps[1] else {
            panic!()
        };
        assert_eq!(args, &Some(vec![WasmValue::I64(2), WasmValue::I64(3)]));
        assert!(matches!(
            &script.steps[2],
            ScriptStep::Pump { max_steps: 100, .. }
        ));
        assert!(matches!(&script.steps[4], ScriptStep::Load(m) if m.name == "pong"));
    }

    #[test]
    fn rejects_bad_scripts_with_the_place() {
        let m = json!([{"name": "ping", "guest": "ping.wat"}]);
        for (steps, expected) in [
            (
                json!([{"invoke": "nope", "call": "x"}]),
                "step 1: no module \"nope\"",
            ),
            (
                json!([{"unload": "ping"}, {"invoke": "ping", "call": "x"}]),
                "step 2: no module",
            ),
            (
                json!([{"pump": "h", "max_step": 3}]),
                "step 1: unknown key \"max_step\"",
            ),
            (
                json!([{"invoke": "ping", "call": "x", "seed": "00"}]),
                "64 hex digits",
            ),
            (
                json!([{"invoke": "ping", "call": "x", "args": "i64:x"}]),
                "step 1:",
            ),
            (
                json!([{"load": "ping", "guest": "ping.wat"}]),
                "already loaded",
            ),
            (json!([{"frobnicate": 1}]), "expected one of"),
        ] {
            let error = parse(json!({"modules": m, "steps": steps})).unwrap_err();
            assert!(error.contains(expected), "{error} lacks {expected}");
        }
        let error = parse(json!({"modules": [{"name": "", "guest": "ping.wat"}], "steps": []}))
            .unwrap_err();
        assert!(error.contains("1 to 64 bytes"), "{error}");
        let error = parse(json!({"modules": [{"name": "a", "guest": "missing.wat"}], "steps": []}))
            .unwrap_err();
        assert!(error.contains("missing.wat"), "{error}");
    }
}
