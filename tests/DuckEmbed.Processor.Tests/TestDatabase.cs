using DuckDB.NET.Data;

namespace DuckEmbed.Processor.Tests;

/// <summary>Builds and reads the small DuckDB files the tests work on.</summary>
internal static class TestDatabase
{
    public static void Execute(string path, params string[] statements)
    {
        using var connection = new DuckDBConnection(new DuckDBConnectionStringBuilder { DataSource = path }.ConnectionString);
        connection.Open();
        foreach (var sql in statements)
        {
            using var command = connection.CreateCommand();
            command.CommandText = sql;
            command.ExecuteNonQuery();
        }
    }

    /// <summary>Rows of a query, each as an array of values.</summary>
    public static List<object?[]> Query(string path, string sql, bool create = false)
    {
        var builder = new DuckDBConnectionStringBuilder { DataSource = path };
        if (!create)
        {
            builder["ACCESS_MODE"] = "READ_ONLY";
        }
        using var connection = new DuckDBConnection(builder.ConnectionString);
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        using var reader = command.ExecuteReader();
        var rows = new List<object?[]>();
        while (reader.Read())
        {
            var row = new object?[reader.FieldCount];
            for (var i = 0; i < row.Length; i++)
            {
                row[i] = reader.IsDBNull(i) ? null : reader.GetValue(i);
            }
            rows.Add(row);
        }
        return rows;
    }

    /// <summary>The vectors of an output table by their BIGINT id.</summary>
    public static Dictionary<long, float[]> VectorsById(string path, string table, string idColumn) =>
        Query(path, $"SELECT \"{idColumn}\", vector FROM \"{table}\"").ToDictionary(r => (long)r[0]!, r => ((List<float>)r[1]!).ToArray());

    public static long CountRows(string path, string table) =>
        (long)Query(path, $"SELECT count(*) FROM \"{table}\"")[0][0]!;

    /// <summary>An input table <c>docs(id BIGINT, body VARCHAR)</c> with ids 1..n in shuffled physical order.</summary>
    public static string CreateDocs(string directory, int rows)
    {
        var path = Path.Combine(directory, "input.duckdb");
        Execute(path,
            "CREATE TABLE docs (id BIGINT, body VARCHAR)",
            $"INSERT INTO docs SELECT i, 'text number ' || i || repeat(' word', (i * 7) % 23) FROM range(1, {rows + 1}) t(i) ORDER BY hash(i)");
        return path;
    }

    public static EmbeddingJob Job(string input, string output, string table = "docs", string id = "id", string text = "body") => new()
    {
        InputDatabasePath = input,
        OutputDatabasePath = output,
        InputTable = table,
        IdColumn = id,
        TextColumn = text,
        OutputTable = "embedded",
        // Small windows, so that a few hundred rows make many commits to stop between; two writers, so that they
        // commit side by side and out of id order, whatever the machine's cores.
        WindowSize = 32,
        Writers = 2,
    };
}
