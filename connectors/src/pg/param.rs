//! How a [`Value`] is bound to a PostgreSQL parameter: exactly, and only to column types that hold
//! it without loss (a decimal only into NUMERIC, an integer into any integer type it fits). This
//! module must never fall back to sending text for a typed column: a silent cast is how cents get
//! lost.

use std::error::Error;

use bytes::{BufMut, BytesMut};
use postgres::types::{IsNull, ToSql, Type, to_sql_checked};
use rust_decimal::Decimal;

use crate::{Value, ValueKind};

/// A value that cannot be bound to its parameter's type; surfaces as `SinkRejected`.
#[derive(Debug)]
pub(super) struct ParamMismatch(pub String);

impl std::fmt::Display for ParamMismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl Error for ParamMismatch {}

/// Whether values of `kind` can be stored in a column of type `ty` without loss.
pub(super) fn accepts(kind: ValueKind, ty: &Type) -> bool {
    let any = |types: &[Type]| types.contains(ty);
    match kind {
        ValueKind::Text => any(&[Type::TEXT, Type::VARCHAR, Type::BPCHAR, Type::NAME]),
        ValueKind::Decimal => *ty == Type::NUMERIC,
        ValueKind::Date => *ty == Type::DATE,
        ValueKind::Time => *ty == Type::TIME,
        ValueKind::Int => any(&[Type::INT2, Type::INT4, Type::INT8, Type::NUMERIC]),
    }
}

/// Borrowed [`Value`] implementing [`ToSql`] against whatever type the server inferred.
#[derive(Debug)]
pub(super) struct PgValue<'a>(pub &'a Value);

impl ToSql for PgValue<'_> {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut BytesMut,
    ) -> Result<IsNull, Box<dyn Error + Sync + Send>> {
        if let Some(kind) = self.0.kind()
            && !accepts(kind, ty)
        {
            return Err(Box::new(ParamMismatch(format!(
                "a {} value cannot be stored in a {} column",
                kind.name(),
                ty.name()
            ))));
        }
        match self.0 {
            Value::Null => Ok(IsNull::Yes),
            Value::Text(s) => s.as_str().to_sql(ty, out),
            Value::Decimal(d) if d.is_zero() => {
                // rust_decimal encodes every zero with scale 0, so "0.00" would read back as "0".
                // NUMERIC's binary form: ndigits, weight, sign, dscale, then no digit groups.
                out.put_i16(0);
                out.put_i16(0);
                out.put_u16(0x0000);
                out.put_u16(u16::try_from(d.scale()).unwrap_or(0));
                Ok(IsNull::No)
            }
            Value::Decimal(d) => d.to_sql(ty, out),
            Value::Date(d) => d.to_sql(ty, out),
            Value::Time(t) => t.to_sql(ty, out),
            Value::Int(i) => {
                let too_big = || {
                    Box::new(ParamMismatch(format!(
                        "{i} does not fit a {} column",
                        ty.name()
                    )))
                };
                if *ty == Type::INT2 {
                    i16::try_from(*i).map_err(|_| too_big())?.to_sql(ty, out)
                } else if *ty == Type::INT4 {
                    i32::try_from(*i).map_err(|_| too_big())?.to_sql(ty, out)
                } else if *ty == Type::NUMERIC {
                    Decimal::from(*i).to_sql(ty, out)
                } else {
                    i.to_sql(ty, out)
                }
            }
        }
    }

    fn accepts(_: &Type) -> bool {
        // The real check depends on the value's variant, so it happens in `to_sql`.
        true
    }

    to_sql_checked!();
}
