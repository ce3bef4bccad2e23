using System.Numerics;
using System.Runtime.InteropServices;
using System.Text;
using DuckDB.NET.Data;

namespace DuckEmbed.Processor;

/// <summary>
/// The output table <c>(id, text VARCHAR, vector FLOAT[])</c>: created or checked, asked where to resume, and
/// written one window per transaction with the appender, so a crash leaves whole windows or nothing.
/// </summary>
internal sealed class OutputTable(DuckDBConnection output, EmbeddingJob job, InputTable input)
{
    /// <summary>The vector column's type and storage in CREATE TABLE.</summary>
    /// <remarks>
    /// Uncompressed on purpose: DuckDB's choice for embedding floats, ALPRD, saves a little per value but puts each
    /// segment of ~42,000 floats in a block of its own, so the file came out 1.5 × larger (250 MB against 165 MB for
    /// 100,000 rows of real embeddings) and writing took 1.3 × longer (BENCHMARKS.md, the processor alone).
    /// </remarks>
    internal const string VectorColumnDefinition = "FLOAT[] USING COMPRESSION uncompressed";

    private readonly string _quotedName = SqlIdentifier.Quote(job.OutputTable);

    /// <summary>
    /// Creates the table with its provenance record, or checks that an existing one has the columns and the
    /// provenance this run would give it (with <paramref name="overwrite"/>, drops it and starts over).
    /// </summary>
    public void Prepare(IReadOnlyDictionary<string, string> provenanceRecord, bool overwrite)
    {
        if (string.Equals(job.OutputTable, OutputProvenance.TableName, StringComparison.OrdinalIgnoreCase))
        {
            throw new EmbeddingJobException($"output_table may not be '{OutputProvenance.TableName}': DuckEmbed keeps its records there.");
        }
        var provenance = new OutputProvenance(output, job.OutputTable);
        using var transaction = output.BeginTransaction();
        provenance.EnsureTable();
        var existing = ReadColumns();
        if (existing.Count > 0 && overwrite)
        {
            Execute($"DROP TABLE {_quotedName}");
            provenance.Delete();
            existing.Clear();
        }
        if (existing.Count == 0)
        {
            Execute($"CREATE TABLE {_quotedName} ({SqlIdentifier.Quote(input.IdColumn)} {input.IdType}, " +
                $"{SqlIdentifier.Quote(input.TextColumn)} VARCHAR, {SqlIdentifier.Quote(job.VectorColumn)} {VectorColumnDefinition})");
            provenance.Write(provenanceRecord);
        }
        else
        {
            ValidateColumns(existing);
            ValidateProvenance(provenance, provenanceRecord);
        }
        transaction.Commit();
    }

    private void ValidateColumns(List<(string Name, string Type)> existing)
    {
        var expected = new List<(string, string)>
        {
            (input.IdColumn, input.IdType), (input.TextColumn, "VARCHAR"), (job.VectorColumn, "FLOAT[]"),
        };
        if (!existing.SequenceEqual(expected))
        {
            throw new EmbeddingJobException(
                $"output_table '{job.OutputTable}' already exists in {job.OutputDatabasePath} with columns " +
                $"({Describe(existing)}), not ({Describe(expected)}). Choose another output_table or output_db_path, or run with --overwrite to replace it.");
        }
    }

    private void ValidateProvenance(OutputProvenance provenance, IReadOnlyDictionary<string, string> record)
    {
        var stored = provenance.Read();
        if (stored.Count == 0)
        {
            var (rows, _) = ReadResumePoint();
            if (rows > 0)
            {
                throw new EmbeddingJobException(
                    $"output_table '{job.OutputTable}' already holds {rows} rows that DuckEmbed has no record of making. Choose another output_table, or run with --overwrite to replace it.");
            }
            provenance.Write(record);
            return;
        }
        var differences = OutputProvenance.Differences(stored, record);
        if (differences.Count > 0)
        {
            throw new EmbeddingJobException(
                $"output_table '{job.OutputTable}' was made with other settings ({string.Join("; ", differences)}); resuming would mix two kinds of vectors. Run with --overwrite to start over, or choose another output_table.");
        }
    }

    /// <summary>Rows already written and the largest id among them (where to resume), or (0, null).</summary>
    public (long Rows, object? LastId) ReadResumePoint()
    {
        using var command = output.CreateCommand();
        command.CommandText = $"SELECT count(*), max({SqlIdentifier.Quote(input.IdColumn)}) FROM {_quotedName}";
        using var reader = command.ExecuteReader();
        reader.Read();
        return (reader.GetInt64(0), reader.IsDBNull(1) ? null : reader.GetValue(1));
    }

    /// <summary>Appends <paramref name="window"/> and commits it as one transaction.</summary>
    public void WriteWindow(RowWindow window)
    {
        try
        {
            AppendAndCommit(window);
        }
        catch (DuckDBException e)
        {
            // A full disk, a file-size limit, a vanished folder: the window is rolled back, earlier ones stay.
            throw new EmbeddingJobException(
                $"output_db_path: writing {job.OutputDatabasePath} failed: {DuckDbConnections.FirstLine(e.Message)}. " +
                "Free disk space (or choose another output_db_path) and run again: every row committed so far is kept and the run resumes after it.", e);
        }
    }

    private void AppendAndCommit(RowWindow window)
    {
        using var transaction = output.BeginTransaction();
        using (var appender = output.CreateAppender(job.OutputTable))
        {
            for (var i = 0; i < window.Count; i++)
            {
                var row = appender.CreateRow();
                AppendId(row, window.Ids[i]);
                AppendText(row, window.Texts[i]);
                if (window.Vectors[i] is { } vector)
                {
                    row.AppendValue(AsArray(vector));
                }
                else
                {
                    row.AppendNullValue();
                }
                row.EndRow();
            }
            appender.Close();
        }
        transaction.Commit();
    }

    // DuckDB.NET passes strings to DuckDB as C strings, which end at the first NUL; UTF-8 bytes keep the whole
    // text. Texts without NUL (nearly all) take the direct path.
    private static IDuckDBAppenderRow AppendText(IDuckDBAppenderRow row, string? text) =>
        text is not null && text.Contains('\0', StringComparison.Ordinal)
            ? row.AppendValue(Encoding.UTF8.GetBytes(text))
            : row.AppendValue(text);

    // DuckDB.NET's list writer takes arrays and lists, not slices.
    private static float[] AsArray(ReadOnlyMemory<float> vector) =>
        MemoryMarshal.TryGetArray(vector, out var segment) && segment.Offset == 0 && segment.Count == segment.Array!.Length
            ? segment.Array
            : vector.ToArray();

    private void AppendId(IDuckDBAppenderRow row, object id)
    {
        _ = id switch
        {
            int v => row.AppendValue(v),
            long v => row.AppendValue(v),
            string v => AppendText(row, v),
            Guid v => row.AppendValue(v),
            short v => row.AppendValue(v),
            sbyte v => row.AppendValue(v),
            byte v => row.AppendValue(v),
            ushort v => row.AppendValue(v),
            uint v => row.AppendValue(v),
            ulong v => row.AppendValue(v),
            BigInteger v => row.AppendValue(v),
            decimal v => row.AppendValue(v),
            double v => row.AppendValue(v),
            float v => row.AppendValue(v),
            bool v => row.AppendValue(v),
            DateTime v => row.AppendValue(v),
            DateOnly v => row.AppendValue(v),
            TimeOnly v => row.AppendValue(v),
            DateTimeOffset v => row.AppendValue(v),
            TimeSpan v => row.AppendValue(v),
            byte[] v => row.AppendValue(v),
            _ => throw new EmbeddingJobException(
                $"id_column '{input.IdColumn}' is {input.IdType}, which DuckEmbed cannot copy. Use an integer, text, UUID, decimal or date/time id."),
        };
    }

    private List<(string Name, string Type)> ReadColumns()
    {
        using var command = output.CreateCommand();
        command.CommandText = """
            SELECT column_name, data_type FROM information_schema.columns
            WHERE table_catalog = current_database() AND table_schema = 'main' AND table_name = $table
            ORDER BY ordinal_position
            """;
        command.Parameters.Add(new DuckDBParameter("table", job.OutputTable));
        using var reader = command.ExecuteReader();
        var columns = new List<(string, string)>();
        while (reader.Read())
        {
            columns.Add((reader.GetString(0), reader.GetString(1)));
        }
        return columns;
    }

    private void Execute(string sql)
    {
        using var command = output.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private static string Describe(IEnumerable<(string Name, string Type)> columns) =>
        string.Join(", ", columns.Select(c => $"{c.Name} {c.Type}"));
}
