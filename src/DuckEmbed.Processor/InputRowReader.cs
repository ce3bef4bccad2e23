using System.Runtime.CompilerServices;
using System.Text;
using DuckDB.NET.Data;

namespace DuckEmbed.Processor;

/// <summary>
/// Reads the input in id order with one streaming query (<c>WHERE id &gt; last ORDER BY id</c>), so the cost of
/// reading grows with the table, not with its square as OFFSET paging would.
/// </summary>
internal static class InputRowReader
{
    public static async IAsyncEnumerable<RowWindow> ReadWindowsAsync(DuckDBConnection input, InputTable table,
        object? afterId, long? maxRows, int windowSize, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var command = input.CreateCommand();
        var id = SqlIdentifier.Quote(table.IdColumn);
        // A string parameter would end at a NUL inside the id; its UTF-8 bytes decoded by DuckDB do not.
        var (after, afterValue) = afterId is string text ? ("decode($after)", (object?)Encoding.UTF8.GetBytes(text)) : ("$after", afterId);
        command.CommandText = $"SELECT {id}, {SqlIdentifier.Quote(table.TextColumn)} FROM {table.QualifiedName}"
            + (afterId is null ? "" : $" WHERE {id} > {after}") + $" ORDER BY {id}"
            + (maxRows is null ? "" : $" LIMIT {maxRows.Value}");
        if (afterId is not null)
        {
            command.Parameters.Add(new DuckDBParameter("after", afterValue));
        }
        command.UseStreamingMode = true;
        using var registration = cancellationToken.Register(command.Cancel);
        using var reader = command.ExecuteReader();

        var window = new RowWindow(windowSize);
        while (reader.Read())
        {
            window.Ids[window.Count] = reader.GetValue(0);
            window.Texts[window.Count] = reader.IsDBNull(1) ? null : reader.GetString(1);
            if (++window.Count == windowSize)
            {
                yield return window;
                cancellationToken.ThrowIfCancellationRequested();
                window = new RowWindow(windowSize);
            }
        }
        if (window.Count > 0)
        {
            yield return window;
        }
        await Task.CompletedTask.ConfigureAwait(false);
    }
}
