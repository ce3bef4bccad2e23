using System.Text;
using DuckDB.NET.Data;
using DuckEmbed.Tests;

namespace DuckEmbed.Cli.Tests;

/// <summary>An input database for the program to embed: <c>texts(id BIGINT, text VARCHAR)</c>.</summary>
internal static class CorpusInput
{
    /// <summary>The first line of each of the first <paramref name="count"/> descriptions: real text that embeds in seconds.</summary>
    public static void WriteFirstLines(string path, int count) =>
        Write(path, Corpus.Read(count).Select(r => (r.Id, r.Text.Split('\n')[0])));

    /// <summary>These rows, as they are.</summary>
    public static void Write(string path, IEnumerable<(long Id, string Text)> rows)
    {
        using var connection = new DuckDBConnection($"Data Source={path}");
        connection.Open();
        using (var command = connection.CreateCommand())
        {
            command.CommandText = "CREATE TABLE texts (id BIGINT, text VARCHAR)";
            command.ExecuteNonQuery();
        }
        using var appender = connection.CreateAppender("texts");
        foreach (var (id, text) in rows)
        {
            // As bytes: DuckDB.NET ends a string at a NUL.
            appender.CreateRow().AppendValue(id).AppendValue(Encoding.UTF8.GetBytes(text)).EndRow();
        }
    }
}
