using DuckDB.NET.Data;
using DuckEmbed.Processor.Database;
using DuckEmbed.Processor.Input;
using DuckEmbed.Processor.Pipeline;

namespace DuckEmbed.Processor.Output;

/// <summary>
/// An output table's rows against the input, compared by DuckDB on the id in its own type: the check a resume makes
/// (every stored row still the input's), what a sync finds (ids gone, texts changed) and the edits it makes — the
/// rows of ids gone deleted, each changed row deleted in the transaction that appends its new one.
/// </summary>
internal sealed class InputChanges(OutputTable table, DuckDBConnection output, EmbeddingJob job, InputTable input)
{
    private const string ReplacedIds = "duckembed_replaced_ids";

    private string Table => SqlIdentifier.Quote(table.Name);

    /// <summary>
    /// <see cref="CompareWithInput"/> for a sync, which refuses a table none of whose ids the input has: made from
    /// another database (a sync would delete every row of it), not from an earlier state of this input.
    /// </summary>
    public StoredRows CompareForSync()
    {
        var stored = CompareWithInput();
        if (stored.Rows > 0 && stored.Gone == stored.Rows)
        {
            throw new EmbeddingJobException(JobSetting.OutputTable,
                $"'{table.Name}' was not made from this input: none of its {stored.Rows} ids is in the input table '{job.InputTable}' (e.g. '{stored.GoneExample}'), " +
                "so a sync would delete every row. Overwrite it to embed this input from the start, or choose another output table.") { CanOverwrite = true };
        }
        return stored;
    }

    /// <summary>
    /// The rows an earlier run left, after checking that each of them came from this input: its id is still there
    /// and its text is the same. A table made from another input (or from this one before it changed) is refused
    /// with what differs, since resuming would mix rows of both.
    /// </summary>
    public long ReadRowsOfThisInput()
    {
        var stored = CompareWithInput();
        if (stored.Gone > 0 || stored.Changed > 0)
        {
            var differences = new List<string>();
            if (stored.Gone > 0)
            {
                differences.Add($"{stored.Gone} of its {stored.Rows} ids are not in the input table '{job.InputTable}' (e.g. '{stored.GoneExample}')");
            }
            if (stored.Changed > 0)
            {
                differences.Add($"{stored.Changed} rows have another text in the input now (e.g. id '{stored.ChangedExample}')");
            }
            throw new EmbeddingJobException(JobSetting.OutputTable,
                $"'{table.Name}' was not made from this input: {string.Join(", and ", differences)}. If the input changed since the table was " +
                "written, sync it (embed sync) to embed the changes only; if the input is another database, overwrite it to embed this input from the start, or choose another output table.") { CanOverwrite = true };
        }
        return stored.Rows;
    }

    /// <summary>
    /// The table's rows against the input, compared by DuckDB on the id in its own type: ids the input no longer has
    /// (or are not this shard's), and ids whose text the input has changed.
    /// </summary>
    public StoredRows CompareWithInput() => table.CountRows() == 0 ? default : Compare(output, Table, input);

    /// <summary>
    /// <see cref="CompareWithInput"/> for any output table <paramref name="qualifiedTable"/> (quoted, with its catalog
    /// if it is not the connection's own) that <paramref name="connection"/> reads beside the input.
    /// </summary>
    public static StoredRows Compare(DuckDBConnection connection, string qualifiedTable, InputTable input)
    {
        var id = SqlIdentifier.Quote(input.IdColumn);
        var text = SqlIdentifier.Quote(input.TextColumn);
        var changed = $"i.{id} IS NOT NULL AND o.{text} IS DISTINCT FROM i.{text}";
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT count(*), count(*) FILTER (WHERE i.{id} IS NULL), min(o.{id}::VARCHAR) FILTER (WHERE i.{id} IS NULL), " +
            $"count(*) FILTER (WHERE {changed}), min(o.{id}::VARCHAR) FILTER (WHERE {changed}) " +
            $"FROM {qualifiedTable} AS o LEFT JOIN (SELECT * FROM {input.QualifiedName} WHERE {input.RowsOfThisRun(id)}) AS i ON o.{id} = i.{id}";
        using var reader = command.ExecuteReader();
        reader.Read();
        return new StoredRows(reader.GetInt64(0), reader.GetInt64(1), reader.IsDBNull(2) ? null : reader.GetString(2),
            reader.GetInt64(3), reader.IsDBNull(4) ? null : reader.GetString(4));
    }

    /// <summary>
    /// Deletes, in a transaction of its own, the rows whose ids the input no longer has (or that are not this shard's):
    /// a sync's first step. With <see cref="EmbeddingJob.KeepDeletedRows"/> they are first copied, with the time, into
    /// <see cref="EmbeddingJob.DeletedRowsTable"/> in the same transaction. Returns how many.
    /// </summary>
    public long DeleteGone()
    {
        var id = SqlIdentifier.Quote(input.IdColumn);
        var gone = $"NOT EXISTS (SELECT 1 FROM {input.QualifiedName} AS i WHERE i.{id} = o.{id} AND {input.RowsOfThisRun($"i.{id}")})";
        using var transaction = output.BeginTransaction();
        try
        {
            if (job.KeepDeletedRows)
            {
                var kept = SqlIdentifier.Quote(job.DeletedRowsTable);
                JobDatabase.Execute(output, $"CREATE TABLE IF NOT EXISTS {kept} AS SELECT *, now() AS deleted_at FROM {Table} LIMIT 0");
                JobDatabase.Execute(output, $"INSERT INTO {kept} BY NAME SELECT o.*, now() AS deleted_at FROM {Table} AS o WHERE {gone}");
            }
            var deleted = JobDatabase.Execute(output, $"DELETE FROM {Table} AS o WHERE {gone}");
            transaction.Commit();
            return deleted;
        }
        catch (DuckDBException e)
        {
            throw table.WriteFailed(e);
        }
    }

    /// <summary>
    /// Deletes the stored rows that rows <paramref name="start"/> to <paramref name="start"/> + <paramref name="count"/>
    /// of <paramref name="window"/> replace (a sync's changed texts), in the transaction open on
    /// <paramref name="connection"/>, so that the old row goes in the same commit as its new one comes. The ids go
    /// through a temporary table (DuckDB lets a transaction write it beside the output) by the appender, so they keep
    /// their type exactly.
    /// </summary>
    public void DeleteReplaced(RowWindow window, int start, int count, DuckDBConnection connection)
    {
        var replacing = 0;
        for (var i = start; i < start + count; i++)
        {
            replacing += window.Replaces[i] ? 1 : 0;
        }
        if (replacing == 0)
        {
            return;
        }
        JobDatabase.Execute(connection, $"CREATE TEMP TABLE IF NOT EXISTS {ReplacedIds} (id {input.IdType})");
        using (var appender = connection.CreateAppender("temp", "main", ReplacedIds))
        {
            for (var i = start; i < start + count; i++)
            {
                if (window.Replaces[i])
                {
                    window.Ids.Append(appender.CreateRow(), i).EndRow();
                }
            }
            appender.Close();
        }
        var deleted = JobDatabase.Execute(connection, $"DELETE FROM {Table} WHERE {SqlIdentifier.Quote(input.IdColumn)} IN (SELECT id FROM temp.main.{ReplacedIds})");
        JobDatabase.Execute(connection, $"DELETE FROM temp.main.{ReplacedIds}");
        if (deleted != replacing)
        {
            // Never two rows for an id, nor a row lost: a count that differs stops the run before its commit.
            throw new InvalidOperationException($"Replacing {replacing} changed rows of {table.Name} deleted {deleted} stored rows.");
        }
    }
}
