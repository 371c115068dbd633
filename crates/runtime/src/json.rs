//! JSON in, JSON out (feature `json`, on by default): serialize a serde
//! value as a call's input bytes, and parse the return data as JSON.
//!
//! Many guests take their parameters as one input document and answer with
//! another. [`JsonCalls`] does both ends for a [`Runtime`]; [`to_input`]
//! and [`parse_return`] are the two halves on their own. The guest sees
//! bytes only (the `input` host function and `value_return`), so the
//! promise is unchanged: the same JSON bytes give the same outcome on every
//! engine. The bytes are `serde_json`'s compact form: a struct's fields in
//! declaration order, a map's entries in its iteration order — so use a
//! `BTreeMap`, not a `HashMap` (whose order changes from process to
//! process), when nodes must agree on the input bytes.
//!
//! The guest below (`json_sum`, C, in `crates/conformance/guests/c/`) sums a
//! JSON array of integers and returns `{"count":…,"sum":…,"min":…,"max":…}`:
//!
//! ```
//! use std::sync::Arc;
//! use runtime::json::{JsonCalls, JsonError};
//! use runtime::{BackendKind, ExecutionContext, InMemoryStorage, Status};
//!
//! #[derive(serde::Deserialize, Debug, PartialEq)]
//! struct Summary {
//!     count: u32,
//!     sum: i64,
//!     min: Option<i64>,
//!     max: Option<i64>,
//! }
//!
//! let wasm = include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/../conformance/guests/c/json_sum.wasm"));
//! for kind in BackendKind::compiled_in() {
//!     let runtime = kind.runtime()?;
//!     let module = runtime.compile(runtime.prepare(wasm)?);
//!     let storage = Arc::new(InMemoryStorage::new());
//!     let ctx = ExecutionContext::default();
//!
//!     let answer = runtime.execute_json::<_, Summary>(&module, "sum", &[3, -1, 40], &ctx, storage.clone())?;
//!     assert_eq!(answer.value, Summary { count: 3, sum: 42, min: Some(-1), max: Some(40) });
//!     assert_eq!(answer.outcome.status(), Status::Ok);
//!
//!     // A guest failure is an error that carries the outcome.
//!     let err = runtime
//!         .execute_json::<_, Summary>(&module, "sum", &"not an array", &ctx, storage.clone())
//!         .unwrap_err();
//!     let JsonError::Failed(outcome) = err else { panic!("{err}") };
//!     assert_eq!(outcome.error.unwrap().message(), "expected a JSON array of integers");
//!
//!     // Return data that is not the expected JSON is an error too.
//!     let err = runtime.execute_json::<_, Vec<u8>>(&module, "sum", &[1], &ctx, storage).unwrap_err();
//!     assert!(matches!(err, JsonError::Output { .. }), "{err}");
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::sync::Arc;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::{ExecutionContext, Module, Outcome, Runtime, RuntimeError, Storage};

/// Why a JSON call has no value.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum JsonError {
    /// The input value could not be serialized (a map with non-string
    /// keys, a failing `Serialize` implementation).
    #[error("serializing the input as JSON: {0}")]
    Input(#[source] serde_json::Error),
    /// An infrastructure failure of the runtime.
    #[error(transparent)]
    Runtime(#[from] RuntimeError),
    /// The execution did not end with status `ok`; the outcome tells why
    /// (its logs included).
    #[error("the call ended with status {}: {}", .0.status().as_str(), .0.error.as_ref().map(ToString::to_string).unwrap_or_default())]
    Failed(Box<Outcome>),
    /// The call ended `ok`, but its return data is not JSON of the expected
    /// type.
    #[error("parsing the return data as JSON: {error}")]
    Output {
        /// The parser's error.
        #[source]
        error: serde_json::Error,
        /// The (`ok`) outcome, with the return data.
        outcome: Box<Outcome>,
    },
}

/// An `ok` outcome and its return data parsed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JsonOutcome<T> {
    /// The return data, parsed.
    pub value: T,
    /// The whole outcome (gas, logs, events, storage changes, digest).
    pub outcome: Outcome,
}

/// `value` as JSON bytes, for [`ExecutionContext::input`].
///
/// # Errors
///
/// [`JsonError::Input`] if it cannot be serialized.
pub fn to_input<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, JsonError> {
    serde_json::to_vec(value).map_err(JsonError::Input)
}

/// The return data of an `ok` outcome, parsed as JSON.
///
/// # Errors
///
/// [`JsonError::Failed`] if the status is not `ok`, [`JsonError::Output`]
/// if the return data is not JSON of type `T`.
pub fn parse_return<T: DeserializeOwned>(outcome: Outcome) -> Result<JsonOutcome<T>, JsonError> {
    if outcome.error.is_some() {
        return Err(JsonError::Failed(Box::new(outcome)));
    }
    match serde_json::from_slice(&outcome.return_data) {
        Ok(value) => Ok(JsonOutcome { value, outcome }),
        Err(error) => Err(JsonError::Output {
            error,
            outcome: Box::new(outcome),
        }),
    }
}

/// JSON calls of a [`Runtime`]: the input serialized from a value, the
/// return data parsed. The `context`'s own input is replaced; everything
/// else in it (seed, time, limits, embedder data) is used as given.
pub trait JsonCalls {
    /// [`Runtime::execute`] with `input` as the call's JSON input, and the
    /// return data parsed as a `O`. Nothing is committed.
    ///
    /// # Errors
    ///
    /// See [`JsonError`].
    fn execute_json<I: Serialize + ?Sized, O: DeserializeOwned>(
        &self,
        module: &Module,
        export: &str,
        input: &I,
        context: &ExecutionContext,
        storage: Arc<dyn Storage>,
    ) -> Result<JsonOutcome<O>, JsonError>;

    /// As [`JsonCalls::execute_json`], committing an `ok` call's changes
    /// ([`Runtime::execute_and_commit`]). A call whose return data does not
    /// parse has been committed: it ran `ok`.
    ///
    /// # Errors
    ///
    /// See [`JsonError`]; a commit conflict is
    /// [`JsonError::Runtime`]([`RuntimeError::Conflict`]).
    fn execute_json_and_commit<I: Serialize + ?Sized, O: DeserializeOwned>(
        &self,
        module: &Module,
        export: &str,
        input: &I,
        context: &ExecutionContext,
        storage: Arc<dyn Storage>,
    ) -> Result<JsonOutcome<O>, JsonError>;
}

/// Runs `run` with `context`'s input replaced by `input` as JSON, and
/// parses the return data.
fn call_with_json<I: Serialize + ?Sized, O: DeserializeOwned>(
    context: &ExecutionContext,
    input: &I,
    run: impl FnOnce(&ExecutionContext) -> Result<Outcome, RuntimeError>,
) -> Result<JsonOutcome<O>, JsonError> {
    let context = ExecutionContext {
        input: to_input(input)?,
        ..context.clone()
    };
    parse_return(run(&context)?)
}

impl JsonCalls for Runtime {
    fn execute_json<I: Serialize + ?Sized, O: DeserializeOwned>(
        &self,
        module: &Module,
        export: &str,
        input: &I,
        context: &ExecutionContext,
        storage: Arc<dyn Storage>,
    ) -> Result<JsonOutcome<O>, JsonError> {
        call_with_json(context, input, |cx| {
            self.execute(module, export, cx, storage)
        })
    }

    fn execute_json_and_commit<I: Serialize + ?Sized, O: DeserializeOwned>(
        &self,
        module: &Module,
        export: &str,
        input: &I,
        context: &ExecutionContext,
        storage: Arc<dyn Storage>,
    ) -> Result<JsonOutcome<O>, JsonError> {
        call_with_json(context, input, |cx| {
            self.execute_and_commit(module, export, cx, storage)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ExecError, HostError};

    fn ok(return_data: &[u8]) -> Outcome {
        Outcome {
            error: None,
            return_data: return_data.to_vec(),
            logs: Vec::new(),
            events: Vec::new(),
            changes: Vec::new(),
            gas_used: 1,
            results: Vec::new(),
            messages: Vec::new(),
        }
    }

    #[test]
    fn input_is_compact_json_in_field_order() {
        #[derive(Serialize)]
        struct Job<'a> {
            name: &'a str,
            cores: u8,
        }
        assert_eq!(
            to_input(&Job {
                name: "render",
                cores: 4
            })
            .unwrap(),
            br#"{"name":"render","cores":4}"#
        );
        let mut bad = std::collections::HashMap::new();
        bad.insert((1, 2), 3);
        assert!(matches!(to_input(&bad), Err(JsonError::Input(_))));
    }

    #[test]
    fn return_data_parses_or_says_why_not() {
        let parsed: JsonOutcome<Vec<u32>> = parse_return(ok(b"[1, 2]")).unwrap();
        assert_eq!(parsed.value, [1, 2]);
        assert_eq!(parsed.outcome.gas_used, 1);
        let Err(JsonError::Output { outcome, .. }) = parse_return::<Vec<u32>>(ok(b"[1,")) else {
            panic!("truncated JSON must not parse");
        };
        assert_eq!(outcome.return_data, b"[1,");
        let mut failed = ok(b"[]");
        failed.error = Some(ExecError::Host(HostError::GuestPanic("no".into())));
        let err = parse_return::<Vec<u32>>(failed).unwrap_err();
        assert_eq!(
            err.to_string(),
            "the call ended with status host_error: GuestPanic: no"
        );
    }
}
