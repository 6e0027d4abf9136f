//! Parquet output for statisticians: one file per entity, typed columns, for DuckDB, R
//! (arrow), pandas and Spark.
//!
//! The files hold the same tables as the CSV folder ([`TableWriter`]: `pupils.parquet`, then one
//! file per child entity linked by `pupil_id`, columns named by the canonical keys in catalogue
//! order). What CSV leaves to the reader's guess, the columns say:
//!
//! * dates are `DATE` (days since 1970), whole numbers `INT64`, decimals `DOUBLE`, yes/no
//!   `BOOLEAN`, and everything else — identifiers (a PESEL keeps its leading zero), names,
//!   codes, enumerations — `STRING`;
//! * a field a policy released as text (a birth date generalised to `2012`, an age band) is a
//!   `STRING` column, as the archive's released schema says: the type follows what is
//!   released, never the model's type the value no longer has;
//! * a missing value is a null, never an empty string;
//! * strings are dictionary-encoded (categories such as sex, class or region take a few bytes
//!   per row), pages compressed with Snappy, which every Parquet reader has.
//!
//! Rows are buffered per table and written as a row group every [`ROW_GROUP`] rows, so a
//! million pupils take bounded memory.

use super::csv::{Row, Table, TableWriter, Tables};
use super::staged::{StagedFile, Store};
use crate::error::{Error, Result};
use crate::model::fields::{FieldSpec, ValueKind};
use parquet::basic::{Compression, LogicalType, Repetition, Type as Physical};
use parquet::data_type::{BoolType, ByteArray, ByteArrayType, DoubleType, Int32Type, Int64Type};
use parquet::file::properties::WriterProperties;
use parquet::file::writer::{SerializedColumnWriter, SerializedFileWriter};
use parquet::schema::types::Type;
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Rows per row group: large enough for good compression and dictionary pages, small enough
/// that the widest table's buffer stays a few tens of megabytes.
pub const ROW_GROUP: usize = 65_536;

/// Writes pupils as a folder of Parquet files, one per entity.
///
/// # Example
///
/// ```
/// use teczka::{Outgoing, ParquetWriter, Pupil, Sink};
///
/// let dir = tempfile::tempdir().unwrap();
/// let mut writer = ParquetWriter::create(dir.path(), &[]).unwrap();
/// writer.write(Outgoing::Pupil(&Pupil { id: "P1".into(), pesel: Some("02270803628".into()), ..Pupil::default() })).unwrap();
/// writer.finish().unwrap();
/// let bytes = std::fs::read(dir.path().join("pupils.parquet")).unwrap();
/// assert_eq!(&bytes[..4], b"PAR1");
/// ```
pub type ParquetWriter = TableWriter<ParquetFiles>;

/// The Parquet files of one output folder.
pub struct ParquetFiles {
    dir: PathBuf,
    store: Store,
    /// Paths of the fields released as text.
    as_text: Vec<String>,
    files: Vec<TableFile>,
}

/// One entity's file: its writer, the columns' buffers and what they hold.
struct TableFile {
    path: PathBuf,
    writer: Option<SerializedFileWriter<BufWriter<StagedFile>>>,
    columns: Vec<Column>,
    rows: usize,
}

/// A column's buffered values and definition levels (1 = a value, 0 = null).
enum Column {
    Text(Vec<ByteArray>, Vec<i16>),
    Date(Vec<i32>, Vec<i16>),
    Int(Vec<i64>, Vec<i16>),
    Double(Vec<f64>, Vec<i16>),
    Bool(Vec<bool>, Vec<i16>),
}

impl ParquetWriter {
    /// Create the folder (if needed, `0700`) and every entity's file (`0600`); `as_text` are
    /// the paths of fields released as text (`Policy::retyped_fields`), empty for pupils as
    /// read.
    pub fn create(dir: &Path, as_text: &[&str]) -> Result<ParquetWriter> {
        ParquetWriter::create_in(&Store::plain(), dir, as_text)
    }

    /// [`create`](ParquetWriter::create), the files written through `store` (sealed when it
    /// is).
    pub fn create_in(store: &Store, dir: &Path, as_text: &[&str]) -> Result<ParquetWriter> {
        super::private::create_dir_all(dir)?;
        let files = ParquetFiles {
            dir: dir.to_path_buf(),
            store: store.clone(),
            as_text: as_text.iter().map(|p| p.to_string()).collect(),
            files: Vec::new(),
        };
        // Parquet cells are typed values, never formulas: no guard.
        TableWriter::with_tables(files, false)
    }
}

impl ParquetFiles {
    /// The column a field is written as.
    fn column_of(&self, field: &FieldSpec) -> Column {
        let released_as_text = self.as_text.contains(&field.path);
        match &field.kind {
            _ if released_as_text => Column::Text(Vec::new(), Vec::new()),
            ValueKind::Date => Column::Date(Vec::new(), Vec::new()),
            ValueKind::Integer => Column::Int(Vec::new(), Vec::new()),
            ValueKind::Number => Column::Double(Vec::new(), Vec::new()),
            ValueKind::Bool => Column::Bool(Vec::new(), Vec::new()),
            ValueKind::Text | ValueKind::Enum(_) => Column::Text(Vec::new(), Vec::new()),
        }
    }

    fn start_table(&mut self, table: &Table) -> Result<TableFile> {
        let path = self.dir.join(format!("{}.parquet", table.entity.file_stem()));
        let mut columns: Vec<Column> = Vec::new();
        let mut fields = Vec::new();
        if table.entity != crate::model::Entity::Pupil {
            columns.push(Column::Text(Vec::new(), Vec::new()));
            fields.push(Arc::new(column_type("pupil_id", &columns[0])?));
        }
        for field in &table.columns {
            let column = self.column_of(field);
            fields.push(Arc::new(column_type(&field.key, &column)?));
            columns.push(column);
        }
        let schema = Type::group_type_builder("schema")
            .with_fields(fields)
            .build()
            .map_err(|e| parquet_error(&path, e))?;
        let properties = WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .set_created_by(format!("teczka {}", env!("CARGO_PKG_VERSION")))
            .build();
        let out = BufWriter::new(self.store.create(&path)?);
        let writer = SerializedFileWriter::new(out, Arc::new(schema), Arc::new(properties))
            .map_err(|e| parquet_error(&path, e))?;
        Ok(TableFile { path, writer: Some(writer), columns, rows: 0 })
    }
}

/// The Parquet type of a column named `name`: every column optional (a null is "not given").
fn column_type(name: &str, column: &Column) -> Result<Type> {
    let (physical, logical) = match column {
        Column::Text(..) => (Physical::BYTE_ARRAY, Some(LogicalType::String)),
        Column::Date(..) => (Physical::INT32, Some(LogicalType::Date)),
        Column::Int(..) => (Physical::INT64, None),
        Column::Double(..) => (Physical::DOUBLE, None),
        Column::Bool(..) => (Physical::BOOLEAN, None),
    };
    Type::primitive_type_builder(name, physical)
        .with_repetition(Repetition::OPTIONAL)
        .with_logical_type(logical)
        .build()
        .map_err(|e| Error::input(name, format!("cannot describe the Parquet column: {e}")))
}

impl Tables for ParquetFiles {
    fn start(&mut self, tables: &[Table]) -> Result<()> {
        for table in tables {
            let file = self.start_table(table)?;
            self.files.push(file);
        }
        Ok(())
    }

    fn row(&mut self, table: usize, row: Row<'_>) -> Result<()> {
        let Some(file) = self.files.get_mut(table) else { return Ok(()) };
        let mut columns = file.columns.iter_mut();
        if let Some(link) = &row.link {
            if let Some(column) = columns.next() {
                column
                    .push(Some(link), None)
                    .map_err(|why| cell_error(&file.path, &row, "pupil_id", why))?;
            }
        }
        for ((cell, field), column) in row.cells.iter().zip(columns) {
            column
                .push(cell.as_deref(), Some(field))
                .map_err(|why| cell_error(&file.path, &row, &field.key, why))?;
        }
        file.rows += 1;
        if file.rows == ROW_GROUP {
            file.flush()?;
        }
        Ok(())
    }

    fn finish(&mut self) -> Result<()> {
        for file in &mut self.files {
            file.flush()?;
            if let Some(writer) = file.writer.take() {
                let out = writer.into_inner().map_err(|e| parquet_error(&file.path, e))?;
                let mut staged =
                    out.into_inner().map_err(|e| Error::io(&file.path, e.into_error()))?;
                staged.close()?;
            }
        }
        Ok(())
    }
}

impl Column {
    /// Add one cell: its value, or a null. `field` is `None` for the `pupil_id` link.
    fn push(
        &mut self,
        cell: Option<&str>,
        field: Option<&FieldSpec>,
    ) -> std::result::Result<(), String> {
        let defined = i16::from(cell.is_some());
        let Some(text) = cell else {
            self.levels().push(0);
            return Ok(());
        };
        let kind = field.map(|f| &f.kind);
        let unfit =
            || format!("`{kind:?}` value that is not one", kind = kind.unwrap_or(&ValueKind::Text));
        match self {
            Column::Text(values, _) => values.push(ByteArray::from(text.as_bytes().to_vec())),
            Column::Date(values, _) => values.push(days_since_epoch(text).ok_or_else(unfit)?),
            Column::Int(values, _) => values.push(text.parse().map_err(|_| unfit())?),
            Column::Double(values, _) => values.push(text.parse().map_err(|_| unfit())?),
            Column::Bool(values, _) => values.push(match text {
                "true" => true,
                "false" => false,
                _ => return Err(unfit()),
            }),
        }
        self.levels().push(defined);
        Ok(())
    }

    fn levels(&mut self) -> &mut Vec<i16> {
        match self {
            Column::Text(_, l) | Column::Date(_, l) | Column::Int(_, l) => l,
            Column::Double(_, l) | Column::Bool(_, l) => l,
        }
    }

    /// Write the buffered values into the row group's column and empty the buffer.
    fn write_into(&mut self, out: &mut SerializedColumnWriter<'_>) -> parquet::errors::Result<()> {
        match self {
            Column::Text(v, l) => out.typed::<ByteArrayType>().write_batch(v, Some(l), None)?,
            Column::Date(v, l) => out.typed::<Int32Type>().write_batch(v, Some(l), None)?,
            Column::Int(v, l) => out.typed::<Int64Type>().write_batch(v, Some(l), None)?,
            Column::Double(v, l) => out.typed::<DoubleType>().write_batch(v, Some(l), None)?,
            Column::Bool(v, l) => out.typed::<BoolType>().write_batch(v, Some(l), None)?,
        };
        match self {
            Column::Text(v, l) => (v.clear(), l.clear()),
            Column::Date(v, l) => (v.clear(), l.clear()),
            Column::Int(v, l) => (v.clear(), l.clear()),
            Column::Double(v, l) => (v.clear(), l.clear()),
            Column::Bool(v, l) => (v.clear(), l.clear()),
        };
        Ok(())
    }
}

impl TableFile {
    /// Write the buffered rows as one row group (nothing when none are buffered).
    fn flush(&mut self) -> Result<()> {
        let (Some(writer), true) = (self.writer.as_mut(), self.rows > 0) else { return Ok(()) };
        let path = &self.path;
        let mut group = writer.next_row_group().map_err(|e| parquet_error(path, e))?;
        for column in &mut self.columns {
            let Some(mut out) = group.next_column().map_err(|e| parquet_error(path, e))? else {
                break;
            };
            column.write_into(&mut out).map_err(|e| parquet_error(path, e))?;
            out.close().map_err(|e| parquet_error(path, e))?;
        }
        group.close().map_err(|e| parquet_error(path, e))?;
        self.rows = 0;
        Ok(())
    }
}

/// Days from 1970-01-01 to an ISO date, as Parquet's `DATE` counts them.
fn days_since_epoch(text: &str) -> Option<i32> {
    let date = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()?;
    i32::try_from((date - chrono::NaiveDate::default()).num_days()).ok()
}

fn parquet_error(path: &Path, e: impl std::fmt::Display) -> Error {
    Error::io(path, std::io::Error::other(format!("cannot write Parquet: {e}")))
}

fn cell_error(path: &Path, row: &Row<'_>, column: &str, why: String) -> Error {
    Error::input(
        path,
        format!(
            "pupil {} (`{}`), column {column}: a {why}, so it does not fit the column's type; \
             this is a bug in the release's types, please report it",
            row.record, row.id
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_count_days_from_1970() {
        assert_eq!(days_since_epoch("1970-01-01"), Some(0));
        assert_eq!(days_since_epoch("2000-03-01"), Some(11_017));
        assert_eq!(days_since_epoch("1969-12-31"), Some(-1));
        assert_eq!(days_since_epoch("2012"), None);
    }

    #[test]
    fn a_value_that_does_not_fit_its_column_is_refused_never_coerced() {
        let mut column = Column::Int(Vec::new(), Vec::new());
        assert!(column.push(Some("12"), None).is_ok());
        assert!(column.push(None, None).is_ok());
        assert!(column.push(Some("2010–2014"), None).is_err());
        let Column::Int(values, levels) = column else { unreachable!() };
        assert_eq!((values, levels), (vec![12], vec![1, 0]));
    }
}
