using DuckDB.NET.Data;

namespace DuckEmbed.Processor;

/// <summary>
/// Reads the input rows that are not in the output yet, in id order, with one streaming query: an anti-join on the
/// id, evaluated by DuckDB in the input's own type and collation. What is left to do is decided by the ids
/// themselves, not by a position in an order, so rows are neither skipped nor repeated whatever the id type, and
/// rows added to the input since the last run are picked up wherever they sort. Reading costs one pass over the
/// table (no OFFSET paging).
/// </summary>
internal static class InputRowReader
{
    /// <summary>What to read: the input table through a reader connection, at most this many rows, in windows of this size.</summary>
    public sealed record Source(DuckDBConnection Reader, InputTable Table, long? MaxRows, int WindowSize);

    // outputTable: the table whose ids are skipped; null before it exists.
    public static IEnumerable<RowWindow> ReadWindows(Source source, string? outputTable, CancellationToken cancellationToken)
    {
        var (reader, table, maxRows, windowSize) = source;
        var id = SqlIdentifier.Quote(table.IdColumn);
        using var command = reader.CreateCommand();
        command.CommandText = $"SELECT i.{id}, i.{SqlIdentifier.Quote(table.TextColumn)} FROM {table.QualifiedName} AS i " +
            (outputTable is null ? "" : $"ANTI JOIN {SqlIdentifier.Quote(outputTable)} AS o ON o.{id} = i.{id} ") +
            $"WHERE {table.RowsOfThisRun($"i.{id}")} ORDER BY i.{id}" +
            (maxRows is null ? "" : $" LIMIT {maxRows.Value}");
        command.UseStreamingMode = true;
        using var registration = cancellationToken.Register(command.Cancel);
        using var rows = command.ExecuteReader();

        var window = new RowWindow(windowSize, table.Ids);
        while (rows.Read())
        {
            window.Ids.Read(rows, 0, window.Count);
            window.Texts[window.Count] = rows.IsDBNull(1) ? null : rows.GetString(1);
            if (++window.Count == windowSize)
            {
                yield return window;
                cancellationToken.ThrowIfCancellationRequested();
                window = new RowWindow(windowSize, table.Ids);
            }
        }
        if (window.Count > 0)
        {
            yield return window;
        }
    }
}
