//! Field rules declared on the request types with `validator`, checked all at once, and
//! every failing field reported in one 422 (topic 8). A form that fails on `email` should
//! not make the user resubmit to learn that `password` was too short as well.

use validator::{Validate, ValidationErrors, ValidationErrorsKind};

use crate::error::{ApiError, ApiResult, FieldError};

// region: validate-all
/// Runs every rule of `value`; on failure one [`FieldError`] per failing field (messages
/// of several rules on one field joined), sorted by field name.
pub fn check<T: Validate>(value: &T) -> ApiResult<()> {
    value.validate().map_err(|errors| {
        let mut fields = Vec::new();
        collect("", &errors, &mut fields);
        fields.sort_by(|a, b| a.field.cmp(&b.field));
        tracing::info!(target: "dojo::trace", layer = "validation", step = "decision",
            decision = "short_circuited", status = 422u64, reason = "invalid fields");
        ApiError::Validation(fields)
    })
}
// endregion

fn collect(prefix: &str, errors: &ValidationErrors, into: &mut Vec<FieldError>) {
    for (field, kind) in errors.errors() {
        let path = if prefix.is_empty() {
            field.to_string()
        } else {
            format!("{prefix}.{field}")
        };
        match kind {
            ValidationErrorsKind::Field(failures) => {
                let message = failures
                    .iter()
                    .map(|failure| {
                        failure
                            .message
                            .as_ref()
                            .map_or_else(|| failure.code.to_string(), ToString::to_string)
                    })
                    .collect::<Vec<_>>()
                    .join("; ");
                into.push(FieldError {
                    field: path,
                    message,
                });
            }
            ValidationErrorsKind::Struct(inner) => collect(&path, inner, into),
            ValidationErrorsKind::List(items) => {
                for (index, inner) in items {
                    collect(&format!("{path}[{index}]"), inner, into);
                }
            }
        }
    }
}
