using System.Text;
using DuckDB.NET.Data;
using DuckEmbed.Tests;

namespace DuckEmbed.Cli.Tests;

/// <summary>An input database of real corpus texts for the program to embed: <c>texts(id BIGINT, text VARCHAR)</c>.</summary>
internal static class CorpusInput
{
    /// <summary>The first line of each of the first <paramref name="count"/> descriptions: real text that embeds in seconds.</summary>
    public static void WriteFirstLines(string path, int count)
    {
        using var connection = new DuckDBConnection($"Data Source={path}");
        connection.Open();
        using (var command = connection.CreateCommand())
        {
            command.CommandText = "CREATE TABLE texts (id BIGINT, text VARCHAR)";
            command.ExecuteNonQuery();
        }
        using var appender = connection.CreateAppender("texts");
        foreach (var (id, text) in Corpus.Read(count))
        {
            // As bytes: DuckDB.NET ends a string at a NUL.
            appender.CreateRow().AppendValue(id).AppendValue(Encoding.UTF8.GetBytes(text.Split('\n')[0])).EndRow();
        }
    }
}
