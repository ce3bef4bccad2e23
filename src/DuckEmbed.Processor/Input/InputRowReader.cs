using DuckDB.NET.Data;
using DuckEmbed.Processor.Database;
using DuckEmbed.Processor.Pipeline;

namespace DuckEmbed.Processor.Input;

/// <summary>
/// Reads the input rows that are not in the output yet, in id order, with one streaming query: an anti-join on the
/// id, evaluated by DuckDB in the input's own type and collation. What is left to do is decided by the ids
/// themselves, not by a position in an order, so rows are neither skipped nor repeated whatever the id type, and
/// rows added to the input since the last run are picked up wherever they sort. Reading costs one pass over the
/// table (no OFFSET paging).
/// </summary>
internal static class InputRowReader
{
    /// <summary>
    /// What to read: the input table through a reader connection, at most this many rows, in windows of this size,
    /// skipping the ids already in <paramref name="OutputTable"/> (<c>null</c> before it exists); with
    /// <paramref name="Sync"/>, also taking the rows whose stored text is not the input's.
    /// </summary>
    public sealed record Source(DuckDBConnection Reader, InputTable Table, long? MaxRows, int WindowSize, bool Sync, string? OutputTable);

    public static IEnumerable<RowWindow> ReadWindows(Source source, CancellationToken cancellationToken)
    {
        var (reader, table, maxRows, windowSize, sync, outputTable) = source;
        var id = SqlIdentifier.Quote(table.IdColumn);
        var text = SqlIdentifier.Quote(table.TextColumn);
        using var command = reader.CreateCommand();
        // A sync also takes the ids stored with another text (o.id is there): their rows replace the stored ones.
        command.CommandText = outputTable is null
            ? $"SELECT i.{id}, i.{text}, false FROM {table.QualifiedName} AS i WHERE {table.RowsOfThisRun($"i.{id}")}"
            : sync
            ? $"SELECT i.{id}, i.{text}, o.{id} IS NOT NULL FROM {table.QualifiedName} AS i LEFT JOIN {SqlIdentifier.Quote(outputTable)} AS o ON o.{id} = i.{id} " +
                $"WHERE (o.{id} IS NULL OR o.{text} IS DISTINCT FROM i.{text}) AND {table.RowsOfThisRun($"i.{id}")}"
            : $"SELECT i.{id}, i.{text}, false FROM {table.QualifiedName} AS i ANTI JOIN {SqlIdentifier.Quote(outputTable)} AS o ON o.{id} = i.{id} " +
                $"WHERE {table.RowsOfThisRun($"i.{id}")}";
        command.CommandText += $" ORDER BY i.{id}" +
            (maxRows is null ? "" : $" LIMIT {maxRows.Value}");
        command.UseStreamingMode = true;
        using var registration = cancellationToken.Register(command.Cancel);
        using var rows = command.ExecuteReader();

        var window = new RowWindow(windowSize, table.Ids);
        while (rows.Read())
        {
            window.Ids.Read(rows, 0, window.Count);
            window.Texts[window.Count] = rows.IsDBNull(1) ? null : rows.GetString(1);
            window.Replaces[window.Count] = rows.GetBoolean(2);
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
