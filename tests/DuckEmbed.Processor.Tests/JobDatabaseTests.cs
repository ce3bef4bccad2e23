using DuckDB.NET.Data;
using DuckEmbed.Processor.Database;
using DuckEmbed.Tests;

namespace DuckEmbed.Processor.Tests;

public sealed class JobDatabaseTests : IDisposable
{
    private readonly TempDirectory _folder = new();

    public void Dispose() => _folder.Dispose();

    private static string Setting(DuckDBConnection connection, string name)
    {
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT current_setting('{name}')::VARCHAR";
        return (string)command.ExecuteScalar()!;
    }

    private JobDatabase OpenBoth(string memoryLimit = "64MB")
    {
        var input = TestDatabase.CreateDocs(_folder.Path, 3);
        var output = _folder.File("out.duckdb");
        var database = JobDatabase.OpenInput(input, output, memoryLimit);
        database.AttachOutput(output, input);
        return database;
    }

    [Fact]
    public void Spills_go_beside_the_output_never_beside_the_input()
    {
        using var database = OpenBoth();
        Assert.Equal(_folder.File("out.duckdb") + ".tmp", Setting(database.Connection, "temp_directory"));
    }

    [Fact]
    public void DuckDB_is_capped_in_memory_and_threads_whatever_the_machine()
    {
        using var database = OpenBoth();
        using var reader = database.OpenReader();
        foreach (var connection in new[] { database.Connection, reader })
        {
            Assert.Equal("61.0 MiB", Setting(connection, "memory_limit"));
            Assert.Equal("2", Setting(connection, "threads"));
        }
    }

    [Fact]
    public void The_input_is_attached_read_only_and_the_output_is_every_connections_default()
    {
        using var database = OpenBoth();
        using var reader = database.OpenReader();
        using var command = reader.CreateCommand();
        command.CommandText = "SELECT current_database(), (SELECT readonly FROM duckdb_databases() WHERE database_name = 'duckembed_input')";
        using var row = command.ExecuteReader();
        row.Read();
        Assert.Equal(JobDatabase.OutputCatalog, row.GetString(0));
        Assert.True(row.GetBoolean(1));
    }

    [Theory]
    [InlineData("0KB")]
    [InlineData("16MB")]
    public void A_memory_limit_too_small_for_duckdb_is_refused_by_name(string limit)
    {
        var error = Assert.Throws<EmbeddingJobException>(() => OpenBoth(limit));
        Assert.StartsWith($"DuckDbMemoryLimit: A DuckDB memory limit of {limit} is too small", error.Described(), StringComparison.Ordinal);
    }
}
