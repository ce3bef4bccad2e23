using DuckDB.NET.Data;
using DuckEmbed.Processor.Database;
using DuckEmbed.Processor.Input;
using DuckEmbed.Processor.Pipeline;

namespace DuckEmbed.Processor.Output;

/// <summary>
/// The output table <c>(id, text VARCHAR, vector)</c>, the vector as <paramref name="encoding"/> stores it
/// (<c>FLOAT[N]</c> or <c>FLOAT[]</c>, <c>TINYINT[N]</c>, <c>UBIGINT[W]</c>): created or checked, asked where to resume,
/// and appended to by <see cref="OutputWriter"/>s.
/// </summary>
internal sealed class OutputTable(DuckDBConnection output, EmbeddingJob job, InputTable input, VectorEncoding? encoding = null)
{
    /// <summary>A vector column's array type: its element type and length.</summary>
    internal static readonly System.Text.RegularExpressions.Regex ArrayType = new(@"^(FLOAT|TINYINT|UBIGINT)\[(\d+)\]$", System.Text.RegularExpressions.RegexOptions.CultureInvariant);

    private readonly VectorEncoding _encoding = encoding ?? VectorEncoding.Float32;

    private string _name = job.OutputTable;
    private string _quotedName = SqlIdentifier.Quote(job.OutputTable);
    private IReadOnlyDictionary<string, string>? _pendingRecord;

    // Set once the table is committed, so that every writer's connection sees it.
    private readonly Lock _creating = new();
    private volatile bool _committed;

    /// <summary>How the table stores its vectors.</summary>
    public VectorEncoding Encoding => _encoding;

    /// <summary>The id column's DuckDB type.</summary>
    public string IdType => input.IdType;

    /// <summary>Whether the vectors are (or will be) in fixed-size arrays rather than lists.</summary>
    public bool VectorsAreArrays => Exists
        ? !ReadColumns(output, _name)[2].Type.EndsWith("[]", StringComparison.Ordinal)
        : job.VectorType == VectorColumnType.Array || _encoding.Precision != VectorPrecision.Float32;

    /// <summary>The table's name as the database has it (DuckDB matches names regardless of case).</summary>
    public string Name => _name;

    /// <summary>
    /// Creates the table with its provenance record, or checks that an existing one has the columns and the
    /// provenance this run would give it (with <paramref name="overwrite"/>, drops it and starts over).
    /// </summary>
    /// <remarks>
    /// A new <c>FLOAT[N]</c> table needs N: from <paramref name="dimensions"/> (the generator's metadata), or else
    /// from the first window's vectors, when <see cref="EnsureCreated"/> creates it.
    /// </remarks>
    public void Prepare(IReadOnlyDictionary<string, string> provenanceRecord, bool overwrite, int? dimensions)
    {
        if (string.Equals(job.OutputTable, OutputProvenance.TableName, StringComparison.OrdinalIgnoreCase))
        {
            throw new EmbeddingJobException(JobSetting.OutputTable, $"The output table may not be '{OutputProvenance.TableName}': DuckEmbed keeps its records there.");
        }
        CheckVectorColumnName(job, input);
        using var transaction = output.BeginTransaction();
        var existing = ReadColumns();
        var provenance = new OutputProvenance(output, _name);
        provenance.EnsureTable();
        if (existing.Count > 0 && overwrite)
        {
            Execute($"DROP TABLE {_quotedName}");
            provenance.Delete();
            existing.Clear();
        }
        if (existing.Count == 0)
        {
            _pendingRecord = provenanceRecord;
            if (job.VectorType == VectorColumnType.List || dimensions is not null)
            {
                Create(dimensions);
            }
        }
        else
        {
            ValidateColumns(existing, dimensions);
            ValidateProvenance(provenance, provenanceRecord);
            RefuseHnswIndex();
        }
        transaction.Commit();
        _committed = Exists;
    }

    // Appending to a table with an HNSW index needs DuckDB's vss extension loaded (it is not bundled) and writes an
    // index whose persistence vss calls experimental and not crash-safe: the resumable write does neither. Not run
    // here: vss cannot be installed on the machines DuckEmbed is built on, so no test makes such an index.
    private void RefuseHnswIndex()
    {
        using var command = output.CreateCommand();
        command.CommandText = "SELECT index_name FROM duckdb_indexes() WHERE database_name = current_database() AND lower(table_name) = lower($table) AND sql ILIKE '%USING HNSW%'";
        command.Parameters.Add(new DuckDBParameter("table", _name));
        if (command.ExecuteScalar() is string index)
        {
            throw new EmbeddingJobException(JobSetting.OutputTable,
                $"'{_name}' has an HNSW index ({index}); resuming appends to the table, which the index does not allow safely. " +
                $"Drop it (DROP INDEX {SqlIdentifier.Quote(index)}), run again, and create it once the run is done.");
        }
    }

    /// <summary>Refuses a vector column named like the id or text column (DuckDB's names ignore case).</summary>
    public static void CheckVectorColumnName(EmbeddingJob job, InputTable input)
    {
        foreach (var (what, column) in new[] { ("id column", input.IdColumn), ("text column", input.TextColumn) })
        {
            if (string.Equals(job.VectorColumn, column, StringComparison.OrdinalIgnoreCase))
            {
                throw new EmbeddingJobException(JobSetting.VectorColumn, $"'{job.VectorColumn}' is also the {what} ('{column}'); the output needs three columns. Choose another name for the vector column.");
            }
        }
    }

    /// <summary>The table's rows against the input: what changed since they were written, and the edits a sync makes.</summary>
    public InputChanges Changes => _changes ??= new InputChanges(this, output, job, input);

    private InputChanges? _changes;

    /// <summary>Whether the table exists yet (a <c>FLOAT[N]</c> table waits for the first vectors to know N).</summary>
    public bool Exists => _pendingRecord is null;

    /// <summary>Creates the table, <c>FLOAT[N]</c> with N = <paramref name="dimensions"/> where known, with its record.</summary>
    public void Create(int? dimensions, DuckDBConnection? connection = null)
    {
        connection ??= output;
        // Floats are stored uncompressed, for either type (JobDatabase says why).
        var columns = string.Join(", ", VectorColumns(dimensions ?? _encoding.Ranges?.Dimensions, job.VectorType).Select(c => $"{SqlIdentifier.Quote(c.Name)} {c.Type}"));
        Execute($"CREATE TABLE {_quotedName} ({SqlIdentifier.Quote(input.IdColumn)} {input.IdType}, " +
            $"{SqlIdentifier.Quote(input.TextColumn)} VARCHAR, {columns})", connection);
        new OutputProvenance(connection, _name).Write(_pendingRecord!);
        _pendingRecord = null;
    }

    private void ValidateColumns(List<(string Name, string Type)> existing, int? dimensions)
    {
        var vectorType = ExpectedVectorType(existing.Count >= 3 ? existing[2].Type : "", dimensions ?? _encoding.Ranges?.Dimensions);
        List<(string, string)> expected =
        [
            (input.IdColumn, input.IdType), (input.TextColumn, "VARCHAR"), (job.VectorColumn, vectorType),
            .. VectorColumns(dimensions ?? _encoding.Ranges?.Dimensions, VectorColumnType.Array).Skip(1),
        ];
        if (!existing.SequenceEqual(expected))
        {
            throw new EmbeddingJobException(JobSetting.OutputTable,
                $"'{_name}' already exists in {job.OutputDatabasePath} with columns " +
                $"({Describe(existing)}), not ({Describe(expected)}). Choose another output table or file, or overwrite it.") { CanOverwrite = true };
        }
    }

    // The vector column, and binary+int8's codes beside it.
    private IEnumerable<(string Name, string Type)> VectorColumns(int? dimensions, VectorColumnType type)
    {
        yield return (job.VectorColumn, _encoding.ColumnType(dimensions, type));
        if (_encoding.Precision == VectorPrecision.BinaryInt8)
        {
            yield return (VectorEncoding.RescoreColumn(job.VectorColumn), VectorEncoding.Unranged(VectorPrecision.Int8).ColumnType(dimensions, VectorColumnType.Array));
        }
    }

    // Float32 resumes either of its types; an array (every int8 and binary column is one) must be of the model's
    // dimensions (a binary one, of their words), or of the precision's element type where they are not known.
    private string ExpectedVectorType(string existing, int? dimensions)
    {
        if (_encoding.Precision == VectorPrecision.Float32 && existing == "FLOAT[]")
        {
            return existing;
        }
        if (dimensions is { } n)
        {
            return _encoding.ColumnType(n, VectorColumnType.Array);
        }
        var anyLength = _encoding.ColumnType(null, VectorColumnType.List);
        return ArrayType.Match(existing) is { Success: true } array && array.Groups[1].Value == anyLength[..^2] ? existing : anyLength;
    }

    /// <summary>
    /// What <see cref="Prepare"/> and <see cref="InputChanges.CompareWithInput"/> would say of an existing table, with the output
    /// opened read-only (a dry run): its columns, its provenance against <paramref name="provenanceRecord"/>, its rows
    /// against the input (refused unless <paramref name="sync"/>). Returns what the table holds (nothing without the table).
    /// </summary>
    public StoredRows CheckWithoutWriting(IReadOnlyDictionary<string, string> provenanceRecord, int? dimensions, bool sync)
    {
        var existing = ReadColumns();
        if (existing.Count == 0)
        {
            return default;
        }
        ValidateColumns(existing, dimensions);
        ValidateProvenance(new OutputProvenance(output, _name), provenanceRecord, write: false);
        return sync ? Changes.CompareForSync() : StoredRows.OfThisInput(Changes.ReadRowsOfThisInput());
    }

    private void ValidateProvenance(OutputProvenance provenance, IReadOnlyDictionary<string, string> record, bool write = true)
    {
        var stored = provenance.Read();
        if (stored.Count == 0)
        {
            var rows = CountRows();
            if (rows > 0)
            {
                throw new EmbeddingJobException(JobSetting.OutputTable,
                    $"'{_name}' already holds {rows} rows that DuckEmbed has no record of making. Choose another output table, or overwrite it.") { CanOverwrite = true };
            }
            if (write)
            {
                provenance.Write(record);
            }
            return;
        }
        var differences = OutputProvenance.Differences(stored, record);
        if (differences.Count > 0)
        {
            throw new EmbeddingJobException(JobSetting.OutputTable,
                $"'{_name}' was made with other settings ({string.Join("; ", differences)}); resuming would mix two kinds of vectors. Overwrite it to start over, or choose another output table.") { CanOverwrite = true };
        }
    }

    /// <summary>Rows in the table now, as committed to the database.</summary>
    public long CountRows()
    {
        if (!Exists)
        {
            return 0;
        }
        using var command = output.CreateCommand();
        command.CommandText = $"SELECT count(*) FROM {_quotedName}";
        return (long)command.ExecuteScalar()!;
    }

    /// <summary>
    /// Makes sure the table is there for <paramref name="window"/>'s rows, and committed, so that every writer's
    /// connection sees it: the first window creates it (a <c>FLOAT[N]</c> table takes N from its vectors) in a
    /// transaction of its own on <paramref name="connection"/>.
    /// </summary>
    public void EnsureCreated(RowWindow window, DuckDBConnection connection)
    {
        if (_committed)
        {
            return;
        }
        lock (_creating)
        {
            if (_committed)
            {
                return;
            }
            var pending = _pendingRecord;
            try
            {
                using var transaction = connection.BeginTransaction();
                Create(window.Vectors.Take(window.Count).FirstOrDefault(v => v is not null)?.Length, connection);
                transaction.Commit();
                _committed = true;
            }
            catch (DuckDBException e)
            {
                // A table created in a rolled-back transaction is not there: the next window creates it again.
                _pendingRecord = pending;
                throw WriteFailed(e);
            }
        }
    }

    /// <summary>Appends <paramref name="count"/> of <paramref name="window"/>'s rows from <paramref name="start"/> with <paramref name="appender"/> (on this table).</summary>
    public void Append(RowWindow window, int start, int count, DuckDBAppender appender)
    {
        var vectors = new VectorAppender(_encoding);
        for (var i = start; i < start + count; i++)
        {
            var row = appender.CreateRow();
            window.Ids.Append(row, i);
            IdColumn.AppendText(row, window.Texts[i]);
            if (window.Vectors[i] is { } vector)
            {
                vectors.Append(row, vector);
            }
            else
            {
                vectors.AppendNull(row);
            }
            row.EndRow();
        }
    }

    /// <summary>
    /// The error for a write that failed: what was not committed is rolled back, earlier commits stay. A full disk, a
    /// file-size limit, a vanished folder are I/O errors the user can fix; the advice follows DuckDB's own classification.
    /// </summary>
    public EmbeddingJobException WriteFailed(DuckDBException e)
    {
        var advice = e.ErrorType == DuckDB.NET.Native.DuckDBErrorType.Io
            ? "Free disk space (or choose another output file) and run again"
            : "Run again once the cause is fixed";
        return new EmbeddingJobException(JobSetting.OutputDatabasePath,
            $"Writing {job.OutputDatabasePath} failed: {JobDatabase.FirstLine(e.Message)}. " +
            $"{advice}: every row committed so far is kept and the run resumes after it.", e);
    }

    private List<(string Name, string Type)> ReadColumns()
    {
        var columns = ReadColumns(output, job.OutputTable);
        if (columns.Count > 0)
        {
            // DuckDB's names are case-insensitive: "Embedded" is the table "embedded" already there.
            _name = columns[0].Table;
            _quotedName = SqlIdentifier.Quote(_name);
        }
        return columns.Select(c => (c.Name, c.Type)).ToList();
    }

    /// <summary>The provenance record of the output table named <paramref name="table"/>; empty where there is no such table.</summary>
    internal static Dictionary<string, string> StoredRecord(DuckDBConnection output, string table) =>
        ReadColumns(output, table).Count > 0 ? new OutputProvenance(output, table).Read() : [];

    /// <summary>The columns of the output table named <paramref name="table"/> in any case, with the table's own name.</summary>
    internal static List<(string Name, string Type, string Table)> ReadColumns(DuckDBConnection output, string table, string? catalog = null)
    {
        using var command = output.CreateCommand();
        command.CommandText = """
            SELECT column_name, data_type, table_name FROM information_schema.columns
            WHERE table_catalog = coalesce($catalog, current_database()) AND table_schema = 'main' AND lower(table_name) = lower($table)
            ORDER BY ordinal_position
            """;
        command.Parameters.Add(new DuckDBParameter("table", table));
        command.Parameters.Add(new DuckDBParameter("catalog", catalog));
        using var reader = command.ExecuteReader();
        var columns = new List<(string, string, string)>();
        while (reader.Read())
        {
            columns.Add((reader.GetString(0), reader.GetString(1), reader.GetString(2)));
        }
        return columns;
    }

    private void Execute(string sql, DuckDBConnection? connection = null) => JobDatabase.Execute(connection ?? output, sql);

    private static string Describe(IEnumerable<(string Name, string Type)> columns) =>
        string.Join(", ", columns.Select(c => $"{c.Name} {c.Type}"));
}
